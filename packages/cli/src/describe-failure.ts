import { isDurableError } from '@durable/core'
import { CliError, UsageError } from './cli-error.js'
import { describeConnection, redact, type Connection } from './connect.js'

/** What the user sees of a failure: a code for scripts, a message for people, and an exit code. */
export interface Failure {
  readonly code: string
  readonly message: string
  readonly exitCode: 1 | 2
  /** True for errors nobody anticipated (bugs): the only ones worth a stack, on request. */
  readonly unexpected: boolean
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running, on this host and port?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  // Only from connect(): the socket of an embedded app that has stopped since.
  ENOENT: 'its socket is gone (has the app that served it stopped?)',
}

/** SQLSTATEs of a server that answered but would not let us in. */
const LOGIN_FAILURES = new Set(['28P01', '28000', '3D000', '42501'])

/**
 * Turns anything thrown by a command into a {@link Failure}. Messages are stripped of the
 * connection string and password; durable's own errors keep their message and code.
 */
export function describeFailure(error: unknown, connection: Connection | undefined): Failure {
  if (error instanceof UsageError) return { code: 'USAGE', message: error.message, exitCode: 2, unexpected: false }
  if (error instanceof CliError) return expected(error.code, redact(error.message, connection))
  // The store reports an unreachable database as STORE_UNAVAILABLE; its cause says why, best.
  if (isDurableError(error, 'STORE_UNAVAILABLE') && error.cause !== undefined) {
    const cause = describeFailure(error.cause, connection)
    if (cause.code === 'CONNECTION_FAILED' || cause.code === 'NOT_MIGRATED') return cause
  }
  const where = connection ? describeConnection(connection) : 'the database'
  if (isDurableError(error, 'NOT_MIGRATED')) {
    // The store's message names migrate() for code; here the fix is a command. Its cause says what is missing.
    const reason = error.cause instanceof Error ? error.cause.message : error.message
    return notMigrated(where, redact(reason, connection))
  }
  if (isDurableError(error)) return expected(error.code, redact(error.message, connection))
  const network = findNetworkCode(error)
  if (network !== undefined) return expected('CONNECTION_FAILED', `could not connect to ${where}: ${NETWORK_REASONS[network]}`)
  const sqlState = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined
  const message = redact(error instanceof Error ? error.message : String(error), connection)
  if (sqlState !== undefined && LOGIN_FAILURES.has(sqlState)) return expected('CONNECTION_FAILED', `could not connect to ${where}: ${message}`)
  if (sqlState === '42P01' || sqlState === '3F000') return notMigrated(where, message)
  return { code: 'ERROR', message, exitCode: 1, unexpected: !(error instanceof Error && 'severity' in error) }
}

function notMigrated(where: string, reason: string): Failure {
  return expected('NOT_MIGRATED', `the durable tables in ${where} are missing or older than this version of durable (${reason}): run "durable migrate" first`)
}

function expected(code: string, message: string): Failure {
  return { code, message, exitCode: 1, unexpected: false }
}

/** The errno of a failed connection: on the error, its `errors` (Happy Eyeballs) or its `cause`. */
function findNetworkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined
  const { code, syscall } = error as { code?: unknown; syscall?: unknown }
  if (typeof code === 'string' && code in NETWORK_REASONS && (code !== 'ENOENT' || syscall === 'connect')) return code
  const nested = [...((error as { errors?: unknown[] }).errors ?? []), (error as { cause?: unknown }).cause]
  for (const inner of nested) {
    const found = findNetworkCode(inner, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}
