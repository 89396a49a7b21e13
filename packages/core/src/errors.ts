/** Every error code durable can throw or record. The strings are public API. */
export type ErrorCode =
  | 'RUN_NOT_FOUND'
  | 'WORKFLOW_NOT_REGISTERED'
  | 'DUPLICATE_STEP'
  | 'INVALID_DEFINITION'
  | 'INVALID_INPUT'
  | 'NOT_SERIALIZABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'STEP_TIMEOUT'
  | 'SIGNAL_TIMEOUT'
  | 'LOOP_LIMIT'
  | 'UNKNOWN_ROUTE'
  | 'RUN_CANCELLED'
  | 'RUN_NOT_ACTIVE'
  | 'NON_RETRYABLE'
  | 'RUN_TIMED_OUT'
  | 'LEASE_EXPIRED'
  | 'LEASE_LOST'
  | 'STORE_UNAVAILABLE'
  | 'WAIT_TIMEOUT'
  | 'NOT_MIGRATED'

/**
 * The one error class of durable: every error it throws or records carries a string `code`.
 *
 * ### Example
 * ```ts
 * try { await durable.find(id) } catch (e) { if (isDurableError(e, 'RUN_NOT_FOUND')) … }
 * ```
 */
export class DurableError extends Error {
  override name = 'DurableError'
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Thrown when no run has the given id. */
export class RunNotFoundError extends DurableError {
  override name = 'RunNotFoundError'
  readonly runId: string
  constructor(runId: string) {
    super('RUN_NOT_FOUND', `run "${runId}" was not found: check the id (runs are never deleted by durable)`)
    this.runId = runId
  }
}

/** Thrown when a workflow is used that was not passed to `createDurable({ workflows })`. */
export class WorkflowNotRegisteredError extends DurableError {
  override name = 'WorkflowNotRegisteredError'
  readonly workflowName: string
  constructor(workflowName: string, registered: readonly string[]) {
    super(
      'WORKFLOW_NOT_REGISTERED',
      `workflow "${workflowName}" is not registered: pass it in createDurable({ workflows: [...] })` +
        (registered.length ? ` (registered: ${registered.map((n) => `"${n}"`).join(', ')})` : ''),
    )
    this.workflowName = workflowName
  }
}

/**
 * Thrown by a step to fail at once, skipping its remaining attempts.
 *
 * ### Example
 * ```ts
 * .step('charge', async (ctx) => { if (declined) throw new NonRetryableError('card declined') })
 * ```
 */
export class NonRetryableError extends DurableError {
  override name = 'NonRetryableError'
  constructor(message: string, options?: ErrorOptions) {
    super('NON_RETRYABLE', message, options)
  }
}

/** Thrown when a payload cannot be stored as JSON exactly; `path` says where. */
export class NotSerializableError extends DurableError {
  override name = 'NotSerializableError'
  readonly path: string
  constructor(what: string, path: string, reason: string) {
    super('NOT_SERIALIZABLE', `${what} is not JSON-serializable at ${path}: ${reason}`)
    this.path = path
  }
}

/** Thrown when a run is asked to do something its status does not allow (signal a completed run…). */
export class RunNotActiveError extends DurableError {
  override name = 'RunNotActiveError'
  readonly runId: string
  readonly status: string
  constructor(runId: string, status: string, action: string) {
    super('RUN_NOT_ACTIVE', `cannot ${action} run "${runId}": it is ${status}`)
    this.runId = runId
    this.status = status
  }
}

/**
 * True when `error` is a durable error (optionally with the given code). It checks the shape,
 * not the class, so it works across duplicate installs of the package.
 */
export function isDurableError(error: unknown, code?: ErrorCode): error is DurableError {
  if (typeof error !== 'object' || error === null) return false
  const candidate = error as { code?: unknown; message?: unknown }
  if (typeof candidate.code !== 'string' || typeof candidate.message !== 'string') return false
  if (!(error instanceof Error)) return false
  return code === undefined ? ERROR_CODES.has(candidate.code) : candidate.code === code
}

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'RUN_NOT_FOUND',
  'WORKFLOW_NOT_REGISTERED',
  'DUPLICATE_STEP',
  'INVALID_DEFINITION',
  'INVALID_INPUT',
  'NOT_SERIALIZABLE',
  'PAYLOAD_TOO_LARGE',
  'STEP_TIMEOUT',
  'SIGNAL_TIMEOUT',
  'LOOP_LIMIT',
  'UNKNOWN_ROUTE',
  'RUN_CANCELLED',
  'RUN_NOT_ACTIVE',
  'NON_RETRYABLE',
  'RUN_TIMED_OUT',
  'LEASE_EXPIRED',
  'LEASE_LOST',
  'STORE_UNAVAILABLE',
  'WAIT_TIMEOUT',
  'NOT_MIGRATED',
])

/** A failure as it is stored in the journal: data, not an exception. */
export interface StepError {
  readonly name: string
  readonly message: string
  readonly code?: string
  readonly stack?: string
  /** False when retrying cannot help (`NonRetryableError`). */
  readonly retryable: boolean
}

/** Turns anything a handler threw into a `StepError`. */
export function toStepError(thrown: unknown): StepError {
  if (thrown instanceof Error) {
    const raw = (thrown as { code?: unknown }).code
    const code = typeof raw === 'string' ? storable(raw) : undefined
    return {
      name: storable(String(thrown.name)),
      message: storable(String(thrown.message)),
      ...(code !== undefined ? { code } : {}),
      ...(typeof thrown.stack === 'string' ? { stack: storable(thrown.stack) } : {}),
      retryable: code !== 'NON_RETRYABLE',
    }
  }
  return { name: 'Error', message: storable(describeThrown(thrown)), retryable: true }
}

/** Never throws: a failure that cannot be described must still reach the journal. */
function describeThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown
  try {
    const json = JSON.stringify(thrown)
    // undefined for symbols and functions: String() names them better.
    if (json !== undefined) return `non-error thrown: ${json}`
  } catch {
    // circular or holding a BigInt: fall through to String()
  }
  try {
    return `non-error thrown: ${String(thrown)}`
  } catch {
    return 'non-error thrown: a value that cannot be converted to a string'
  }
}

/** The journal is Postgres jsonb, which refuses \u0000 and lone surrogates: replace them with U+FFFD. */
function storable(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').toWellFormed()
}
