import { isDurableError } from '@durable/core'
import type { Connection } from '../connect.js'
import { describeFailure } from '../describe-failure.js'
import { statusOf } from '../run-errors.js'

/**
 * A refusal of the dashboard's API, sent as `{ "error": { "code", "message" } }` with `status`.
 *
 * @internal
 */
export class ApiError extends Error {
  override name = 'ApiError'
  /** The HTTP status: 400 bad input, 401 no or wrong token, 404 unknown run, 409 wrong state… */
  readonly status: number
  /** Machine-readable reason: a durable `ErrorCode` (`RUN_NOT_FOUND`) or an API code (`INVALID_JSON`). */
  readonly code: string
  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** What the API answers for a failure; `unexpected` ones (bugs) are also logged by the server. */
export interface ApiFailure {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly unexpected: boolean
}

/** What was being done to which run, for messages: `{ runId: '01J…', action: 'cancel it' }`. */
export interface ApiAction {
  readonly runId: string
  /** Completes "cannot …": `cancel it`, `send it signal "approved"`, `retry it`, `show it`. */
  readonly action: string
}

/**
 * Turns anything a request handler threw into an answer for the user. Durable's own errors keep
 * their code; database trouble is a 503 with the CLI's message (no connection string, no
 * password); anything else is a 500 that says where to look, never a stack.
 */
export function explainApiError(error: unknown, about: ApiAction | undefined, connection: Connection | undefined): ApiFailure {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message, unexpected: false }
  const run = about === undefined ? 'the run' : `run ${about.runId}`
  if (isDurableError(error, 'RUN_NOT_FOUND')) return expected(404, 'RUN_NOT_FOUND', `${run} not found: check the id, or go back to the list of runs`)
  if (isDurableError(error, 'RUN_NOT_ACTIVE')) {
    const status = statusOf(error)
    const hint = about?.action.startsWith('retry') ? ' (only a failed run can be retried)' : ''
    return expected(409, 'RUN_NOT_ACTIVE', `${run} is ${status}: cannot ${about?.action ?? 'change it'}${hint}`)
  }
  if (isDurableError(error, 'WORKFLOW_NOT_REGISTERED')) {
    return expected(
      409,
      'WORKFLOW_NOT_REGISTERED',
      `retrying ${run} needs its workflow: restart the dashboard with --workflows <module>, an ES module that exports it (${error.message})`,
    )
  }
  if (isDurableError(error, 'PAYLOAD_TOO_LARGE')) return expected(413, 'PAYLOAD_TOO_LARGE', error.message)
  if (isDurableError(error, 'INVALID_INPUT') || isDurableError(error, 'NOT_SERIALIZABLE')) return expected(400, error.code, error.message)
  const failure = describeFailure(error, connection)
  // The database is down, unreachable or not migrated: not the request's fault, and it may pass.
  if (DATABASE_TROUBLE.has(failure.code)) return expected(503, failure.code, failure.message)
  if (!failure.unexpected) return expected(500, failure.code, failure.message)
  return { status: 500, code: 'INTERNAL', message: "unexpected error: the dashboard's terminal has the details", unexpected: true }
}

const DATABASE_TROUBLE = new Set(['CONNECTION_FAILED', 'NOT_MIGRATED', 'STORE_UNAVAILABLE'])

function expected(status: number, code: string, message: string): ApiFailure {
  return { status, code, message, unexpected: false }
}
