import { DurableError, isDurableError } from '@durable/core'

/** Socket errors of Node: the server cannot be reached, or the connection broke. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
])

/**
 * SQLSTATEs of a server that is going away or not there yet: `57P01` admin shutdown (a restart,
 * `pg_terminate_backend`), `57P02` crash shutdown, `57P03` starting up, `53300` too many
 * connections. Class `08` (connection exception) is matched as a class.
 */
const SERVER_GONE_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300'])

/** Errors `pg` and Kysely raise, without a code, when a connection ended or cannot be used. */
const CONNECTION_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|connection has been discarded/i

/**
 * SQLSTATEs of a value PostgreSQL cannot store as given: `22021` a `\u0000` in text, `22P05` a
 * `\u0000` escape in `jsonb`, `22P02` JSON it cannot parse (a lone surrogate's escape). Payloads
 * are checked before they get here; these come with ids, names and reasons given to lookups and
 * to `cancel`.
 */
const UNSTORABLE_STATES: ReadonlySet<string> = new Set(['22021', '22P05', '22P02'])

/**
 * SQLSTATEs of a query naming something the database does not have: `3F000` no such schema,
 * `42P01` no such table, `42703` no such column. On the store's own tables they mean that
 * `migrate()` was never run, or not since this code added a migration.
 */
const MISSING_OBJECT_STATES: ReadonlySet<string> = new Set(['3F000', '42P01', '42703'])

/**
 * Turns a driver error into a `DurableError` when it is one durable has a code for, and returns
 * any other error unchanged:
 * - a broken or refused connection → `STORE_UNAVAILABLE` (callers may retry; workers do);
 * - a value PostgreSQL cannot store → `INVALID_INPUT`.
 *
 * The message names the failure without repeating connection settings (a connection string
 * holds a password); the driver's error stays reachable as `cause`.
 *
 * @internal
 */
export function toStoreError(error: unknown, during: 'connect' | 'query'): unknown {
  if (isDurableError(error)) return error
  const { code, message } = describe(error)
  if (during === 'connect' || isConnectionError(code, message)) {
    const what = during === 'connect' ? 'could not connect to PostgreSQL' : 'lost the connection to PostgreSQL'
    return new DurableError('STORE_UNAVAILABLE', `${what}: ${message}${code ? ` (${code})` : ''}`, { cause: error })
  }
  if (code !== undefined && UNSTORABLE_STATES.has(code)) {
    return new DurableError('INVALID_INPUT', `PostgreSQL cannot store a value given: ${message} (a string with \\u0000 or a lone surrogate?)`, { cause: error })
  }
  return error
}

/**
 * Turns the error of a query on the store's tables (in `schema`) that names a missing schema,
 * table or column into `NOT_MIGRATED`, whose message says to run `migrate()`; returns any other
 * error unchanged. Only for the store's own queries: a missing table in a `transactional`
 * step's own SQL is the step's business, not a missing migration.
 *
 * @internal
 */
export function toNotMigratedError(error: unknown, schema: string): unknown {
  if (isDurableError(error)) return error
  const { code, message } = describe(error)
  if (code === undefined || !MISSING_OBJECT_STATES.has(code)) return error
  return notMigrated(schema, message, error)
}

/**
 * The `NOT_MIGRATED` error: the store's tables in `schema` are missing, or older than this code.
 *
 * @internal
 */
export function notMigrated(schema: string, reason: string, cause?: unknown): DurableError {
  return new DurableError(
    'NOT_MIGRATED',
    `the durable tables in schema "${schema}" are missing or older than this code (${reason}): ` +
      'run migrate() first — await durable.migrate() in the app, or npx durable migrate',
    cause === undefined ? undefined : { cause },
  )
}

function isConnectionError(code: string | undefined, message: string): boolean {
  if (code !== undefined && (NETWORK_CODES.has(code) || SERVER_GONE_STATES.has(code) || code.startsWith('08'))) return true
  return code === undefined && CONNECTION_MESSAGES.test(message)
}

function describe(error: unknown): { code: string | undefined; message: string } {
  const candidate = error as { code?: unknown; message?: unknown; errors?: unknown } | null
  const code = typeof candidate?.code === 'string' ? candidate.code : undefined
  if (typeof candidate?.message === 'string' && candidate.message !== '') return { code, message: candidate.message }
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an
  // AggregateError with an empty message: name the first address's failure instead.
  const first = Array.isArray(candidate?.errors) ? (candidate.errors[0] as { message?: unknown } | undefined) : undefined
  return { code, message: typeof first?.message === 'string' ? first.message : String(error) }
}
