import { isDurableError } from '@durable/core'
import { CliError, UsageError } from './cli-error.js'

/**
 * The status a `RUN_NOT_ACTIVE` error reports (`completed`, `running`…): its `status` field, or
 * the end of its message for an error from another copy of `@durable/core`.
 */
export function statusOf(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status
  if (typeof status === 'string') return status
  const message = error instanceof Error ? error.message : ''
  return /it is (\w+)$/.exec(message)?.[1] ?? 'not active'
}

/**
 * Turns the runtime's refusal of a run command into what the user sees: an unknown id is
 * `run <id> not found` (exit 1); a run in the wrong state is `run <id> is completed: cannot
 * <cannot>` (exit 1); a value the runtime rejects (a malformed id, a name too long, a payload JSON
 * cannot hold) is a usage error (exit 2). Anything else is returned unchanged.
 *
 * ### Example
 * ```ts
 * try {
 *   await durable.cancel(runId)
 * } catch (error) {
 *   throw explainRunError(error, runId, 'cancel', 'cancel it')
 * }
 * ```
 */
export function explainRunError(error: unknown, runId: string, command: string, cannot: string): unknown {
  if (isDurableError(error, 'RUN_NOT_FOUND')) return new CliError('RUN_NOT_FOUND', `run ${runId} not found`)
  if (isDurableError(error, 'RUN_NOT_ACTIVE')) return new CliError('RUN_NOT_ACTIVE', `run ${runId} is ${statusOf(error)}: cannot ${cannot}`)
  if (isDurableError(error, 'INVALID_INPUT') || isDurableError(error, 'NOT_SERIALIZABLE') || isDurableError(error, 'PAYLOAD_TOO_LARGE')) {
    return new UsageError(error.message, command)
  }
  return error
}
