import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Workflow } from '@durable/core'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import pg from 'pg'
import { CliError, UsageError } from './cli-error.js'
import type { EmbeddedModule } from './load-embedded.js'
import type { LoadedWorkflows } from './load-workflows.js'

/** Where the runs live: a PostgreSQL server, or an embedded (PGlite) data directory. */
export type Connection = { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'embedded'; /** Absolute path. */ readonly dataDir: string }

/** The connection flags of every command. */
export interface ConnectionFlags {
  readonly databaseUrl?: string | undefined
  readonly dataDir?: string | undefined
}

/** The data directory used when neither a URL nor `--data-dir` is given. */
export const DEFAULT_DATA_DIR = '.durable'

/**
 * Picks the database: `--database-url`, else `--data-dir`, else `DATABASE_URL`, else the embedded
 * data directory `.durable` under `cwd`. Both flags at once is a usage error.
 */
export function resolveConnection(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>, cwd: string): Connection {
  if (flags.databaseUrl !== undefined && flags.dataDir !== undefined) throw new UsageError('use either --database-url or --data-dir, not both')
  if (flags.databaseUrl !== undefined) return { kind: 'postgres', url: checkUrl(flags.databaseUrl, '--database-url') }
  if (flags.dataDir !== undefined) {
    if (flags.dataDir === '') throw new UsageError('--data-dir needs a directory')
    return { kind: 'embedded', dataDir: resolve(cwd, flags.dataDir) }
  }
  const fromEnv = env.DATABASE_URL
  if (fromEnv !== undefined && fromEnv !== '') return { kind: 'postgres', url: checkUrl(fromEnv, 'DATABASE_URL') }
  return { kind: 'embedded', dataDir: resolve(cwd, DEFAULT_DATA_DIR) }
}

/** The connection for messages, never with its password: `postgres://alice@db:5432/app`. */
export function describeConnection(connection: Connection): string {
  if (connection.kind === 'embedded') return `the embedded database at ${connection.dataDir}`
  const url = new URL(connection.url)
  const user = url.username ? `${url.username}@` : ''
  return `${url.protocol}//${user}${url.host}${url.pathname}`
}

/**
 * Opens a runtime with the given workflows, by default none: reading runs and journals, signalling
 * and cancelling need none. With `mustExist`, a missing embedded data directory is an error
 * rather than a new, empty database. With an `app` module that exports its `durable`, that is the
 * runtime; one that exports its `queue` (and `store`) gets a runtime on them, so that signal,
 * cancel and retry wake runs through the queue the app's workers consume. An embedded connection
 * needs `embedded`: `@durable/embedded`, or the error saying to install it (see `loadEmbedded`).
 */
export function openDurable(
  connection: Connection,
  options: { mustExist: boolean; workflows?: readonly Workflow[]; app?: LoadedWorkflows | undefined },
  embedded: EmbeddedModule | CliError | undefined,
): Durable {
  const workflows = options.workflows ?? []
  const app = options.app
  if (app?.durable !== undefined) return app.durable
  if (app?.queue !== undefined) {
    if (app.store === undefined && connection.kind === 'embedded') {
      throw new UsageError(`--workflows ${app.module} exports a queue but no store: export the store too, or set DATABASE_URL (or --database-url) to the app's database`)
    }
    const store = app.store ?? postgresStore({ connectionString: (connection as { url: string }).url, poolSize: 2 })
    return createDurable({ store, queue: app.queue, workflows, logger: silentLogger })
  }
  if (connection.kind === 'embedded') {
    if (embedded === undefined) throw new Error('openDurable: an embedded connection needs loadEmbedded() first')
    if (embedded instanceof CliError) throw embedded // @durable/embedded is not installed
    if (options.mustExist && !existsSync(connection.dataDir)) {
      throw new CliError(
        'NO_DATABASE',
        `no embedded database at ${connection.dataDir}: set DATABASE_URL (or --database-url) to read a PostgreSQL server, pass --data-dir, or run "durable migrate" to create one here`,
      )
    }
    const { dataDirOwner, embeddedDurable } = embedded
    const owner = dataDirOwner(connection.dataDir)
    if (owner === undefined) {
      // Nobody has it open: open it here. Throws a DurableError at once if someone just did.
      return embeddedDurable({ workflows, dataDir: connection.dataDir, logger: silentLogger })
    }
    if (owner.socket === undefined) {
      throw new CliError(
        'DATA_DIR_IN_USE',
        `the embedded database at ${connection.dataDir} is open in ${owner.pid === process.pid ? 'this process' : `process ${owner.pid}`}, which does not serve it to other processes (it is still starting, was created with serve: false, or runs a @durable/embedded older than this CLI): try again, upgrade @durable/embedded in the app, or stop it first`,
      )
    }
    return servedDurable(owner.socket, workflows)
  }
  // A CLI runs one query at a time: two connections are plenty.
  const store = postgresStore({ connectionString: connection.url, poolSize: 2 })
  return createDurable({ store, queue: postgresQueue({ store }), workflows, logger: silentLogger })
}

/**
 * A runtime on the database that a running app serves on its socket. That app shares ONE PGlite
 * session between itself and every client, lending it a statement or a transaction at a time:
 * one connection, plain statements (named prepared statements would outlive us in that shared
 * session and clash with another client's), and nothing held open.
 */
function servedDurable(socket: { readonly host: string; readonly port: number }, workflows: readonly Workflow[]): Durable {
  const pool = new pg.Pool({ ...socket, user: 'postgres', database: 'postgres', max: 1, idleTimeoutMillis: 1000 })
  pool.on('error', () => {})
  const store = postgresStore({ pool })
  const durable = createDurable({ store, queue: postgresQueue({ store }), workflows, logger: silentLogger })
  // The store never ends a pool it was given: closing the runtime ends it too.
  const close = async () => {
    try {
      await durable.close()
    } finally {
      await pool.end()
    }
  }
  return new Proxy(durable, {
    get: (target, key) => {
      if (key === 'close') return close
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Removes the connection string and its password from `text`, wherever they appear. */
export function redact(text: string, connection: Connection | undefined): string {
  let out = text
  if (connection?.kind === 'postgres') {
    out = out.split(connection.url).join(describeConnection(connection))
    const password = passwordOf(connection.url)
    if (password) {
      for (const secret of new Set([password, safeDecode(password)])) if (secret.length > 0) out = out.split(secret).join('***')
    }
  }
  // Any other URL with credentials (a nested cause, a driver message).
  return out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@')
}

function checkUrl(url: string, source: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    // Not echoed: a malformed URL may still hold a password.
    throw new UsageError(`${source} is not a valid URL; expected postgres://user:password@host:5432/database`)
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`${source} must start with postgres:// or postgresql://, got ${parsed.protocol}//…`)
  }
  return url
}

function passwordOf(url: string): string {
  try {
    return new URL(url).password
  } catch {
    return ''
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
