import { parseDuration } from './duration.js'
import type { StepError } from './errors.js'
import type { Json } from './json.js'
import type { Command, JournalRecord, RunError, RunEvent, RunState, Transition } from './run-state.js'
import { isTerminal } from './run-state.js'
import { branchCompensated, branchCompensation, branchesToCompensate, branchTried, compensateFrom, parallelInterrupted, retryBranches, runBranches, stopBranches } from './parallel.js'
import { iterationKey, type LoopDefinition, type RouteDefinition, type RetryPolicy, type SignalWaitDefinition, type StepDefinition, type Workflow, type WorkflowNode } from './workflow.js'

/**
 * The state of a run that has not started yet.
 *
 * ### Example
 * ```ts
 * const state = initialState(checkout, { sku: 'A1', qty: 2 })
 * ```
 */
export function initialState(_workflow: Workflow, _input?: unknown): RunState {
  return { status: 'pending', position: 0, attempt: 1, dueAt: null, attempts: 0, error: null }
}

/** Step key and name of journal entries about the run as a whole (`cancel_requested`). */
export const RUN_KEY = '$run'

/**
 * Computes the next state of a run and the commands to carry out. Pure: runs nothing, reads no
 * clock. Events that do not fit the state — a duplicate, a stale attempt, anything after the
 * end — leave the state as it is and yield no command, so a replayed or repeated event can
 * never make a journaled step run again.
 *
 * ### Example
 * ```ts
 * const { state: next, commands } = transition(checkout, state, { type: 'woken', at: new Date().toISOString() })
 * // commands: [{ type: 'runStep', stepKey: 'reserve', stepName: 'reserve', attempt: 1 }]
 * ```
 */
export function transition(workflow: Workflow, state: RunState, event: RunEvent): Transition {
  if (event.type === 'retryRequested') return retryRequested(workflow, state, event.at)
  if (isTerminal(state.status)) return unchanged(state)
  const node = workflow.steps[state.position]
  switch (event.type) {
    case 'woken':
      return woken(workflow, state, event.at)
    case 'leaseExpired':
      return leaseExpired(workflow, state, event.at)
    case 'cancelRequested':
      return cancelRequested(workflow, state, event.reason, event.at)
    case 'stepCompleted':
    case 'stepFailed': {
      if (node?.kind === 'parallel') return branchTried(workflow, state, node, event)
      if (state.status !== 'running' || node === undefined || keyOf(node, state) !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
      // A sleep's duration, a child's input or a route's key that cannot be computed fails for good.
      if ((node.kind === 'sleep' || node.kind === 'child' || node.kind === 'route') && event.type === 'stepFailed' && state.dueAt === null) {
        return failForGood(workflow, { ...state, attempts: state.attempts + 1 }, node, event.error, journal(node, 'step_failed', state.attempt, event.error))
      }
      if (node.kind !== 'step' && node.kind !== 'loop') return unchanged(state)
      if (event.type === 'stepFailed') return stepFailed(workflow, state, node, event.error, event.at)
      if (node.kind === 'loop') return loopIterated(workflow, state, node, event.result, event.done === true, event.at)
      const entry = journal(node, 'step_completed', event.attempt, undefined, event.result)
      return continueAt(workflow, advance(workflow, { ...state, attempts: state.attempts + 1 }), event.at, [append(entry)])
    }
    case 'compensationCompleted':
    case 'compensationFailed': {
      if (node?.kind === 'parallel') return branchCompensated(workflow, state, node, event)
      if (state.status !== 'compensating' || node?.kind !== 'step' || node.key !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
      if (event.type === 'compensationFailed') return compensationFailed(workflow, state, node, event.error, event.at)
      return compensateBefore(workflow, { ...state, attempts: state.attempts + 1 }, state.position, [append(journal(node, 'compensated', state.attempt))])
    }
    case 'timerStarted': {
      if (state.status !== 'running' || node?.kind !== 'sleep' || node.key !== event.stepKey || state.dueAt !== null) return unchanged(state)
      if (Number.isNaN(Date.parse(event.until))) return unchanged(state)
      const entry = journal(node, 'timer_started', 1, undefined, { until: event.until })
      return { state: { ...state, status: 'waiting', dueAt: event.until }, commands: [append(entry), { type: 'scheduleWake', at: event.until }] }
    }
    case 'signalReceived': {
      if (state.status !== 'waiting' || node?.kind !== 'waitForSignal' || node.key !== event.stepKey) return unchanged(state)
      const entry = journal(node, 'signal_received', state.attempt, undefined, event.payload)
      return continueAt(workflow, advance(workflow, { ...state, status: 'running', dueAt: null }), event.at, [append(entry)])
    }
    case 'routeSelected': {
      if (state.status !== 'running' || node?.kind !== 'route' || node.key !== event.stepKey) return unchanged(state)
      const span = node.branches[event.key]
      if (span === undefined) {
        const error: StepError = {
          name: 'DurableError',
          code: 'UNKNOWN_ROUTE',
          message: `route "${node.name}" selected "${event.key}", which is none of its branches (${Object.keys(node.branches).map((k) => `"${k}"`).join(', ')})`,
          retryable: false,
        }
        return failForGood(workflow, { ...state, attempts: state.attempts + 1 }, node, error, journal(node, 'step_failed', state.attempt, error))
      }
      const chosen: RunState = { ...state, attempts: state.attempts + 1, routes: { ...state.routes, [node.name]: event.key } }
      const { attemptOffset: _, ...rest } = chosen
      // An empty branch leaves the route at once.
      const entered: RunState = { ...rest, attempt: 1, position: span.start < span.end ? span.start : nextPosition(workflow, state.position, node.after) }
      return continueAt(workflow, entered, event.at, [append(journal(node, 'route_selected', state.attempt, undefined, event.key))])
    }
    case 'childStarted': {
      if (state.status !== 'running' || node?.kind !== 'child' || node.key !== event.stepKey || state.childRunId !== undefined) return unchanged(state)
      const entry = journal(node, 'child_started', state.attempt, undefined, { runId: event.childRunId })
      const waiting: RunState = { ...state, status: 'waiting', dueAt: null, childRunId: event.childRunId }
      return { state: waiting, commands: [append(entry), { type: 'awaitChild', stepKey: node.key, stepName: node.name, childRunId: event.childRunId }] }
    }
    case 'childCompleted':
    case 'childFailed': {
      if (state.status !== 'waiting' || node?.kind !== 'child' || node.key !== event.stepKey || state.childRunId === undefined) return unchanged(state)
      const { childRunId: _, ...rest } = state
      const counted: RunState = { ...rest, status: 'running', attempts: state.attempts + 1 }
      if (event.type === 'childCompleted') {
        return continueAt(workflow, advance(workflow, counted), event.at, [append(journal(node, 'child_completed', state.attempt, undefined, event.result))])
      }
      return failForGood(workflow, counted, node, event.error, journal(node, 'step_failed', state.attempt, event.error))
    }
    case 'signalTimedOut': {
      if (state.status !== 'waiting' || node?.kind !== 'waitForSignal' || node.key !== event.stepKey) return unchanged(state)
      // Only a wait with a timeout can time out. The runtime sends this once the timeout passed;
      // the wait's start is not journaled, so a replay cannot check the time again.
      if (state.dueAt === null) return unchanged(state)
      const error: StepError = {
        name: 'DurableError',
        code: 'SIGNAL_TIMEOUT',
        message: `no signal "${node.name}" arrived within ${node.timeoutMs} ms`,
        retryable: false,
      }
      return failForGood(workflow, { ...state, attempts: state.attempts + 1, dueAt: null }, node, error, journal(node, 'step_failed', state.attempt, error))
    }
  }
}

/** The step the run is on, if any. */
export function currentStep(workflow: Workflow, state: RunState): WorkflowNode | undefined {
  return isTerminal(state.status) ? undefined : workflow.steps[state.position]
}

function woken(workflow: Workflow, state: RunState, at: string): Transition {
  const node = workflow.steps[state.position]
  // A signal wait is woken by a signal as much as by its timeout: the runtime looks for both.
  if (state.status === 'waiting' && node?.kind === 'waitForSignal') return { state, commands: [awaitSignal(node, state.dueAt)] }
  if (state.status === 'waiting' && node?.kind === 'child' && state.childRunId !== undefined) {
    return { state, commands: [{ type: 'awaitChild', stepKey: node.key, stepName: node.name, childRunId: state.childRunId }] }
  }
  if (state.dueAt !== null && Date.parse(state.dueAt) > Date.parse(at)) return { state, commands: [{ type: 'scheduleWake', at: state.dueAt }] }
  if (state.status === 'waiting' && node?.kind === 'sleep') {
    const fired = append(journal(node, 'timer_fired', 1))
    return continueAt(workflow, advance(workflow, { ...state, status: 'running', dueAt: null }), at, [fired])
  }
  const due: RunState = { ...state, dueAt: null, status: state.status === 'pending' ? 'running' : state.status }
  if (due.status === 'compensating') {
    const step = workflow.steps[due.position]!
    if (step.kind === 'parallel') return { state: due, commands: [branchCompensation(step, due)!] }
    return { state: due, commands: [{ type: 'runCompensation', stepKey: step.key, stepName: step.name, attempt: due.attempt }] }
  }
  return continueAt(workflow, due, at, [])
}

function leaseExpired(workflow: Workflow, state: RunState, at: string): Transition {
  // The worker died before its first commit: the run had started (its first try ran) as a
  // `woken` would have started it, and that try counts as failed like any other.
  if (state.status === 'pending') {
    const started = woken(workflow, state, at)
    return isTerminal(started.state.status) ? started : leaseExpired(workflow, started.state, at)
  }
  const node = workflow.steps[state.position]
  if (node?.kind === 'parallel') return parallelInterrupted(workflow, state, node, at) ?? woken(workflow, state, at)
  // Only a handler can have been cut short; anywhere else the run simply goes on.
  const interrupted = (node?.kind === 'step' && (state.status === 'running' || state.status === 'compensating')) || (node?.kind === 'loop' && state.status === 'running')
  if (node === undefined || !interrupted || state.dueAt !== null) return woken(workflow, state, at)
  const error = leaseExpiredError(`attempt ${state.attempt} of step "${node.name}"`)
  if (state.status === 'running') return stepFailed(workflow, state, node as StepDefinition | LoopDefinition, error, at)
  return compensationFailed(workflow, state, node as StepDefinition, error, at)
}

/** The failure a try counts as when its worker died mid-try (its lease expired). */
export function leaseExpiredError(what: string): StepError {
  return { name: 'DurableError', code: 'LEASE_EXPIRED', message: `the worker running ${what} stopped without finishing it (crash or lost connection)`, retryable: true }
}

function cancelRequested(workflow: Workflow, state: RunState, reason: string | undefined, at: string): Transition {
  // Already rolling back (a failure or an earlier cancel): the rollback is the same.
  if (state.status === 'compensating' || state.error?.code === 'RUN_CANCELLED') return unchanged(state)
  void at
  const error: RunError = { message: reason ? `run cancelled: ${reason}` : 'run cancelled', code: 'RUN_CANCELLED' }
  const entry: JournalRecord = { stepKey: RUN_KEY, stepName: RUN_KEY, kind: 'cancel_requested', attempt: 1, result: reason ?? null }
  return compensateFrom(workflow, { ...stopBranches(state), error, dueAt: null }, state.position, [append(entry)])
}

function retryRequested(workflow: Workflow, state: RunState, at: string): Transition {
  const failedAt = state.failedAt
  if (state.status !== 'failed' || failedAt === undefined) return unchanged(state)
  const node = workflow.steps[failedAt.position]
  if (node === undefined) return unchanged(state)
  const attempt = failedAt.attempt + 1
  const { failedAt: _, ...rest } = state
  if (node.kind === 'parallel') {
    const { attemptOffset: __, ...clean } = rest
    const resumed: RunState = { ...clean, status: 'running', position: failedAt.position, attempt: 1, compensatedBelow: failedAt.position, dueAt: null, error: null }
    return retryBranches(workflow, resumed, node, at, [append(journal(node, 'run_retried', attempt))])
  }
  // The steps before the failed one were rolled back already: a later rollback stops above them.
  const resumed: RunState = {
    ...rest,
    status: 'running',
    position: failedAt.position,
    attempt,
    attemptOffset: failedAt.attempt,
    compensatedBelow: failedAt.position,
    dueAt: null,
    error: null,
  }
  return continueAt(workflow, resumed, at, [append(journal(node, 'run_retried', attempt))])
}

/** Runs the node at `state.position`, or completes the run when there is none. */
export function continueAt(workflow: Workflow, state: RunState, at: string, commands: Command[]): Transition {
  const node = workflow.steps[state.position]
  if (node === undefined) return { state: { ...state, status: 'completed' }, commands: [...commands, { type: 'completeRun' }] }
  switch (node.kind) {
    case 'step':
      return { state, commands: [...commands, tryCommand(node, state)] }
    case 'loop':
      return { state, commands: [...commands, tryCommand(node, state)] }
    case 'sleep':
      return { state, commands: [...commands, { type: 'startTimer', stepKey: node.key, stepName: node.name }] }
    case 'route':
      return { state, commands: [...commands, { type: 'selectRoute', stepKey: node.key, stepName: node.name }] }
    case 'parallel':
      return runBranches(workflow, state, node, at, commands)
    case 'child':
      return { state, commands: [...commands, { type: 'startChild', stepKey: node.key, stepName: node.name, workflowName: node.workflowName }] }
    case 'waitForSignal': {
      const timeoutAt = node.timeoutMs === undefined ? null : new Date(Date.parse(at) + node.timeoutMs).toISOString()
      return { state: { ...state, status: 'waiting', dueAt: timeoutAt }, commands: [...commands, awaitSignal(node, timeoutAt)] }
    }
  }
}

function stepFailed(workflow: Workflow, state: RunState, step: StepDefinition | LoopDefinition, error: StepError, at: string): Transition {
  const entry = journal(step, 'step_failed', state.attempt, error, undefined, keyOf(step, state))
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  const retry = nextTry(step.retry, state.attempt - (state.attemptOffset ?? 0), error, at)
  if (retry.kind === 'again') {
    const again: RunState = { ...counted, attempt: state.attempt + 1 }
    return scheduleTry(again, retry.dueAt, entry, tryCommand(step, again))
  }
  const cause = retry.kind === 'invalidBackoff' ? { ...error, message: retry.message, code: 'INVALID_DEFINITION' } : error
  return failForGood(workflow, counted, step, cause, entry)
}

/** An iteration of a loop returned; `done` is what the loop's `until` said of its result. */
function loopIterated(workflow: Workflow, state: RunState, loop: LoopDefinition, result: Json, done: boolean, at: string): Transition {
  const iteration = state.iteration ?? 0
  const key = iterationKey(loop, iteration)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  if (done) return continueAt(workflow, advance(workflow, counted), at, [append(journal(loop, 'step_completed', state.attempt, undefined, result, key))])
  const entry = journal(loop, 'iteration_completed', state.attempt, undefined, result, key)
  const { attemptOffset: _, ...rest } = counted
  const next: RunState = { ...rest, iteration: iteration + 1, attempt: 1 }
  if (iteration + 1 >= loop.maxIterations) {
    const error: StepError = {
      name: 'DurableError',
      code: 'LOOP_LIMIT',
      message: `loop "${loop.name}" was not done after ${loop.maxIterations} iteration(s): raise maxIterations or check its until()`,
      retryable: false,
    }
    return failForGood(workflow, next, loop, error, entry)
  }
  if (loop.delayMs === 0) return continueAt(workflow, next, at, [append(entry)])
  const dueAt = new Date(Date.parse(at) + loop.delayMs).toISOString()
  return { state: { ...next, dueAt }, commands: [append(entry), { type: 'scheduleWake', at: dueAt }] }
}

/** The journal key of the node's current try: a loop's iteration has its own (`poll#3`). */
function keyOf(node: WorkflowNode, state: RunState): string {
  return node.kind === 'loop' ? iterationKey(node, state.iteration ?? 0) : node.key
}

function tryCommand(node: StepDefinition | LoopDefinition, state: RunState): Command {
  if (node.kind === 'step') return { type: 'runStep', stepKey: node.key, stepName: node.name, attempt: state.attempt }
  const iteration = state.iteration ?? 0
  return { type: 'runStep', stepKey: iterationKey(node, iteration), stepName: node.name, attempt: state.attempt, iteration }
}

/** The node failed for good: remember where (for `retry`) and roll back the finished steps. */
function failForGood(workflow: Workflow, state: RunState, node: WorkflowNode, error: StepError, entry: JournalRecord): Transition {
  const runError: RunError = { message: error.message, step: node.name, ...(error.code !== undefined ? { code: error.code } : {}) }
  const failed: RunState = { ...state, error: runError, failedAt: { position: state.position, attempt: state.attempt } }
  return compensateBefore(workflow, failed, state.position, [append(entry)])
}

function compensationFailed(workflow: Workflow, state: RunState, step: StepDefinition, error: StepError, at: string): Transition {
  const entry = journal(step, 'compensation_failed', state.attempt, error)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  const retry = nextTry(step.compensation!.retry, state.attempt, error, at)
  if (retry.kind === 'again') {
    return scheduleTry({ ...counted, attempt: state.attempt + 1 }, retry.dueAt, entry, { type: 'runCompensation', stepKey: step.key, stepName: step.name, attempt: state.attempt + 1 })
  }
  // A compensator that keeps failing is recorded and the rollback goes on: one stuck undo must
  // not leave every earlier step un-compensated.
  return compensateBefore(workflow, counted, state.position, [append(entry)])
}

/** Compensates the nearest step before `position` that has a compensator, or ends the run. */
export function compensateBefore(workflow: Workflow, state: RunState, position: number, commands: Command[]): Transition {
  for (let i = position - 1; i >= (state.compensatedBelow ?? 0); i--) {
    const step = workflow.steps[i]!
    if (step.kind === 'parallel' && !skipped(step, state) && branchesToCompensate(step, i, state).length > 0) return compensateFrom(workflow, state, i, commands)
    if (step.kind !== 'step' || step.compensation === undefined || skipped(step, state)) continue
    return {
      state: { ...state, status: 'compensating', position: i, attempt: 1, dueAt: null },
      commands: [...commands, { type: 'runCompensation', stepKey: step.key, stepName: step.name, attempt: 1 }],
    }
  }
  const error = state.error ?? { message: 'run failed' }
  const status = error.code === 'RUN_CANCELLED' ? 'cancelled' : 'failed'
  return { state: { ...state, status, dueAt: null }, commands: [...commands, { type: 'failRun', error }] }
}

type NextTry = { kind: 'again'; dueAt: string | null } | { kind: 'exhausted' } | { kind: 'invalidBackoff'; message: string }

export function nextTry(policy: RetryPolicy, failedAttempt: number, error: StepError, at: string): NextTry {
  if (!error.retryable || failedAttempt >= policy.maxAttempts) return { kind: 'exhausted' }
  let delayMs: number
  try {
    delayMs = parseDuration(policy.backoff(failedAttempt), `backoff after attempt ${failedAttempt}`)
  } catch (thrown) {
    return { kind: 'invalidBackoff', message: thrown instanceof Error ? thrown.message : String(thrown) }
  }
  if (delayMs === 0) return { kind: 'again', dueAt: null }
  // `new Date(…).toISOString()` throws past ±8.64e15 ms: a pure transition must not throw.
  const due = new Date(Date.parse(at) + delayMs)
  if (Number.isNaN(due.getTime())) {
    return { kind: 'invalidBackoff', message: `backoff after attempt ${failedAttempt}: ${delayMs} ms after ${at} is not a valid date (past the year 275760?)` }
  }
  return { kind: 'again', dueAt: due.toISOString() }
}

function scheduleTry(state: RunState, dueAt: string | null, entry: JournalRecord, run: Command): Transition {
  if (dueAt === null) return { state, commands: [append(entry), run] }
  return { state: { ...state, dueAt }, commands: [append(entry), { type: 'scheduleWake', at: dueAt }] }
}

/** The state moved on to the next node: attempts start again at 1. */
export function advance(workflow: Workflow, state: RunState): RunState {
  const { attemptOffset: _, iteration: __, parallel: ___, ...rest } = state
  return { ...rest, position: nextPosition(workflow, state.position), attempt: 1 }
}

/** The node after `position`: the end of a route's branch leads out of the route (and of routes around it). */
function nextPosition(workflow: Workflow, position: number, next = position + 1): number {
  const branches = workflow.steps[position]?.inBranch ?? []
  for (let i = branches.length - 1; i >= 0; i--) {
    const route = routeNamed(workflow, branches[i]!.route)
    if (next !== route.branches[branches[i]!.key]!.end) break
    next = route.after
  }
  return next
}

function routeNamed(workflow: Workflow, name: string): RouteDefinition {
  return workflow.steps.find((node) => node.kind === 'route' && node.name === name) as RouteDefinition
}

/** True when the node sits in a branch its route did not choose (it never ran). */
function skipped(node: WorkflowNode, state: RunState): boolean {
  return node.inBranch?.some((b) => state.routes?.[b.route] !== b.key) ?? false
}

function awaitSignal(node: SignalWaitDefinition, timeoutAt: string | null): Command {
  return { type: 'awaitSignal', stepKey: node.key, stepName: node.name, timeoutAt }
}

export function append(entry: JournalRecord): Command {
  return { type: 'appendJournal', entry }
}

export function journal(node: { readonly key: string; readonly name: string }, kind: JournalRecord['kind'], attempt: number, error?: StepError, result?: Json, key = node.key): JournalRecord {
  return { stepKey: key, stepName: node.name, kind, attempt, ...(error !== undefined ? { error } : {}), ...(result !== undefined ? { result } : {}) }
}

export function unchanged(state: RunState): Transition {
  return { state, commands: [] }
}
