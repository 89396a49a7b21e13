import { flowOf, kindOf } from './flow.js'
import { append, journal, unchanged } from './journal-record.js'
import { timerOf, timerPending, withoutTimer } from './node-timer.js'
import { branchCompensation, retryBranches, stopBranches } from './nodes/parallel.js'
import type { Flow } from './nodes/node-kind.js'
import { runCompensation } from './nodes/step.js'
import { nameAt, nodeNamed } from './plan.js'
import type { JournalRecord, RunError, RunEvent, RunState, Transition } from './run-state.js'
import { isTerminal } from './run-state.js'
import { notStarted } from './stored-state.js'
import type { Workflow, WorkflowNode } from './workflow-nodes.js'

/**
 * The state of a run that has not started yet: at no step. The worker that first holds it starts
 * it at the first step of the definition that drives it — a claim may have marked it `running`
 * already, so "not started" is read from the step, never from the status (see `notStarted`).
 *
 * ### Example
 * ```ts
 * const state = initialState(checkout, { sku: 'A1', qty: 2 })
 * ```
 */
export function initialState(_workflow?: Workflow, _input?: unknown): RunState {
  return { status: 'pending', step: null, attempt: 1, attempts: 0, error: null }
}

/** Step key and name of journal entries about the run as a whole (`cancel_requested`, `run_timed_out`). */
export const RUN_KEY = '$run'

/**
 * Computes the next state of a run and the commands to carry out. Pure: runs nothing, reads no
 * clock. Events about the run as a whole — woken, a lost lease, cancel, deadline, retry — are decided here;
 * events about a node go to its kind (`nodes/*.ts`). Events that do not fit the state — a
 * duplicate, a stale attempt, anything after the end — leave the state as it is and yield no
 * command, so a replayed or repeated event can never make a journaled step run again.
 *
 * ### Example
 * ```ts
 * const { state: next, commands } = transition(checkout, state, { type: 'woken', at: new Date().toISOString() })
 * // commands: [{ type: 'runStep', stepKey: 'reserve', stepName: 'reserve', attempt: 1 }]
 * ```
 */
export function transition(workflow: Workflow, given: RunState, event: RunEvent): Transition {
  if (!notStarted(given)) return decide(flowOf(workflow), given, event)
  // A run that has not started is pending at the first step, whatever a claim wrote as status.
  const starting: RunState = { ...given, status: 'pending', step: nameAt(workflow, 0) }
  const next = decide(flowOf(workflow), starting, event)
  // An event that changes nothing hands back the very state it was given, as for any other run.
  return next.state === starting ? { ...next, state: given } : next
}

function decide(flow: Flow, state: RunState, event: RunEvent): Transition {
  if (event.type === 'retryRequested') return retryable(state) ? retryRequested(flow, state, event.at) : unchanged(state)
  // A run that failed for good is claimed only once `retry()` asked for it (the request made it
  // pending again, and the claim running): it resumes, and a cancel asked for since applies to
  // the resumed run.
  if (event.type === 'claimed' && state.failedAt !== undefined && state.status !== 'compensating') {
    const retried = retryRequested(flow, state, event.at)
    const stopped = retried.state === state ? undefined : stopOnClaim(flow, retried.state, event)
    if (stopped === undefined) return retried
    return { state: stopped.state, commands: [...retried.commands.filter((c) => c.type === 'appendJournal'), ...stopped.commands] }
  }
  if (isTerminal(state.status)) return unchanged(state)
  switch (event.type) {
    case 'claimed':
      // A cancel or a deadline not applied yet comes first: the try a dead worker left is then
      // abandoned, not retried.
      return stopOnClaim(flow, state, event) ?? (event.previousLeaseExpired ? leaseExpired(flow, state, event.at) : woken(flow, state, event.at))
    case 'woken':
      return woken(flow, state, event.at)
    case 'leaseExpired':
      return leaseExpired(flow, state, event.at)
    case 'cancelRequested':
      return cancelRequested(flow, state, event.reason)
    case 'deadlinePassed':
      return deadlinePassed(flow, state)
    default: {
      const node = nodeNamed(flow.workflow, state.step)
      return node === undefined ? unchanged(state) : kindOf(node).on(flow, node, state, event)
    }
  }
}

/** The step the run is on, if any. */
export function currentStep(workflow: Workflow, state: RunState): WorkflowNode | undefined {
  return isTerminal(state.status) ? undefined : nodeNamed(workflow, state.step)
}

/** A worker holds the run: go on where it is — wait on, fire a timer, run a try or a compensator. */
function woken(flow: Flow, state: RunState, at: string): Transition {
  const node = nodeNamed(flow.workflow, state.step)
  if (state.status === 'waiting' && node !== undefined) {
    const resumed = kindOf(node).woken?.(flow, node, state, at)
    if (resumed !== undefined) return resumed
  }
  // Woken before the node's timer (by a signal, a duplicate job…): park again until it passes.
  if (timerPending(state, at)) return { state, commands: [{ type: 'scheduleWake', at: timerOf(state)! }] }
  const due: RunState = { ...withoutTimer(state), status: state.status === 'pending' ? 'running' : state.status }
  if (due.status !== 'compensating' || node === undefined) return flow.continueAt(due, at, [])
  const undo = node.kind === 'parallel' ? branchCompensation(node, due) : runCompensation(node, due.attempt)
  return { state: due, commands: undo === undefined ? [] : [undo] }
}

/** The worker that held the run died (its lease expired): what it ran counts as a failed try. */
function leaseExpired(flow: Flow, state: RunState, at: string): Transition {
  // It died before its first commit: the run had started (its first try ran) as a `woken` would
  // have started it, and that try counts as failed like any other.
  if (state.status === 'pending') {
    const started = woken(flow, state, at)
    return isTerminal(started.state.status) ? started : leaseExpired(flow, started.state, at)
  }
  const node = nodeNamed(flow.workflow, state.step)
  return (node === undefined ? undefined : kindOf(node).interrupted?.(flow, node, state, at)) ?? woken(flow, state, at)
}

/**
 * Rolling back already (a failure, an earlier cancel or deadline): a cancel or a deadline changes
 * nothing then, so nothing is compensated twice.
 */
function rollingBack(state: RunState): boolean {
  return state.status === 'compensating' || state.error?.code === 'RUN_CANCELLED' || state.error?.code === 'RUN_TIMED_OUT'
}

/** What a claim found that stops the run — a cancel first, then a passed deadline — or undefined. */
function stopOnClaim(flow: Flow, state: RunState, event: Extract<RunEvent, { type: 'claimed' }>): Transition | undefined {
  if (rollingBack(state)) return undefined
  if (event.cancel !== undefined) return cancelRequested(flow, state, event.cancel.reason ?? undefined)
  if (event.deadlinePassed === true) return deadlinePassed(flow, state)
  return undefined
}

function cancelRequested(flow: Flow, state: RunState, reason: string | undefined): Transition {
  if (rollingBack(state)) return unchanged(state)
  const error: RunError = { message: reason ? `run cancelled: ${reason}` : 'run cancelled', code: 'RUN_CANCELLED' }
  const entry: JournalRecord = { stepKey: RUN_KEY, stepName: RUN_KEY, kind: 'cancel_requested', attempt: 1, result: reason ?? null }
  return stopAndRollBack(flow, state, error, entry)
}

/**
 * The run's deadline passed: the same rollback as a cancel, but the run ends `failed` with
 * `RUN_TIMED_OUT`. A child run it waits for is cancelled: nobody waits for it any more.
 */
function deadlinePassed(flow: Flow, state: RunState): Transition {
  if (rollingBack(state)) return unchanged(state)
  const where = state.step === null ? '' : ` at step "${state.step}"`
  const error: RunError = { message: `run timed out${where}: the timeout given to start() passed`, code: 'RUN_TIMED_OUT' }
  const entry: JournalRecord = { stepKey: RUN_KEY, stepName: RUN_KEY, kind: 'run_timed_out', attempt: 1 }
  const stopped = stopAndRollBack(flow, state, error, entry)
  const node = nodeNamed(flow.workflow, state.step)
  if (node === undefined || state.status !== 'waiting' || state.cursor?.kind !== 'child') return stopped
  const [journaled, ...rest] = stopped.commands
  return { state: stopped.state, commands: [journaled!, { type: 'cancelChild', stepKey: node.key, childRunId: state.cursor.runId }, ...rest] }
}

/** Stops what runs or waits (parallel branches not yet done stop too) and compensates from the current node down. */
function stopAndRollBack(flow: Flow, state: RunState, error: RunError, entry: JournalRecord): Transition {
  return flow.compensateFrom({ ...withoutTimer(stopBranches(state)), error }, state.step, [append(entry)])
}

/** True when `retry` can resume the run: it failed for good at a step it remembers. */
export function retryable(state: RunState): boolean {
  return state.status === 'failed' && state.failedAt !== undefined
}

/** `retry` of a failed run: resume at the node that failed, with a fresh retry budget. */
function retryRequested(flow: Flow, state: RunState, at: string): Transition {
  const { failedAt } = state
  if (failedAt === undefined) return unchanged(state)
  const node = nodeNamed(flow.workflow, failedAt.step)
  if (node === undefined) return unchanged(state)
  const attempt = failedAt.attempt + 1
  const { failedAt: _, cursor: __, attemptOffset: ___, ...rest } = state
  // The nodes before the failed one were rolled back already: a later rollback stops above them.
  const resumed: RunState = { ...rest, status: 'running', step: node.name, compensated: { ...state.compensated, before: node.name }, error: null }
  const retried = [append(journal(node, 'run_retried', attempt))]
  if (node.kind === 'parallel') {
    const before = failedAt.cursor?.kind === 'parallel' ? (failedAt.cursor.branches ?? {}) : {}
    return retryBranches(flow, node, { ...resumed, attempt: 1 }, before, at, retried)
  }
  const cursor = failedAt.cursor !== undefined ? { cursor: failedAt.cursor } : {}
  return flow.continueAt({ ...resumed, ...cursor, attempt, attemptOffset: failedAt.attempt }, at, retried)
}
