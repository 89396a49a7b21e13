import { describeValue, DurableError, isDurableError, isTerminal, parseDuration, RunNotActiveError, RunNotFoundError, type RunRecord, type RunStore } from '@durable/core'
import type { RuntimeContext } from './runtime-context.js'

/*
 * Requests made to a run by someone who does not hold its lease — a cancel, a signal, a retry —
 * carried out by the worker that next holds it. Shared by the public API and by workers (a run
 * that times out cancels the child it waits for).
 */

/**
 * Changes a run under its row lock and wakes it, in one transaction when the queue allows.
 * Returns the run as it was before the change.
 * @internal
 */
export async function changeAndWake(rt: RuntimeContext, runId: string, now: Date, decide: Parameters<RunStore['changeRun']>[2]): Promise<RunRecord> {
  const { store, queue } = rt
  const before = await store.changeRun(runId, now, decide, queue.transactional ? (tx) => queue.dispatch({ runId }, { transaction: tx }) : undefined)
  if (before === undefined) throw new RunNotFoundError(runId)
  if (!queue.transactional) await queue.dispatch({ runId })
  return before
}

/**
 * Asks a run to stop: the worker that next holds it rolls it back and ends it `cancelled`. A
 * run waiting for its child cancels the child too (and so on down): nobody waits for it any
 * more. `RUN_NOT_ACTIVE` when the run ended already.
 * @internal
 */
export async function requestCancel(rt: RuntimeContext, runId: string, reason: string | undefined): Promise<void> {
  await rt.syncClock()
  const now = rt.clock.now()
  const before = await changeAndWake(rt, runId, now, (run) => {
    if (isTerminal(run.status)) throw new RunNotActiveError(runId, run.status, 'cancel')
    // Revoking the lease stops the worker at its next commit (or lease renewal, which aborts ctx.signal).
    return { cancelRequest: { reason: reason ?? null }, revokeLease: true, dueAt: now }
  })
  const child = before.state.cursor?.kind === 'child' ? before.state.cursor.runId : undefined
  if (child !== undefined) await cancelChild(rt, child, `parent run "${runId}" was cancelled${reason ? `: ${reason}` : ''}`)
}

/** Cancels a child run; one that ended (or was deleted) meanwhile is left as it is. @internal */
export async function cancelChild(rt: RuntimeContext, childRunId: string, reason: string): Promise<void> {
  await requestCancel(rt, childRunId, reason.slice(0, 1000)).catch((error: unknown) => {
    if (!(isDurableError(error) && (error.code === 'RUN_NOT_ACTIVE' || error.code === 'RUN_NOT_FOUND'))) throw error
  })
}

/**
 * The deadline of a run started now with `start(…, { timeout })`: undefined without a timeout
 * (undefined or null).
 * A timeout that does not parse, or is not above zero → `INVALID_INPUT` (nothing is written).
 * @internal
 */
export function deadlineOf(timeout: unknown, now: Date, what: string): Date | undefined {
  if (timeout === undefined || timeout === null) return undefined
  const ms = parseDuration(timeout, what, 'INVALID_INPUT')
  if (ms <= 0) throw new DurableError('INVALID_INPUT', `${what} must be above zero, got ${describeValue(timeout)}: pass a duration like '30s' or '1h', or no timeout`)
  const deadline = new Date(now.getTime() + ms)
  if (Number.isNaN(deadline.getTime())) throw new DurableError('INVALID_INPUT', `${what} is too long: ${describeValue(timeout)}`)
  return deadline
}
