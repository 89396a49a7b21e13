import { parseDuration } from './duration.js'
import type { StepError } from './errors.js'
import type { Command, JournalRecord, RunError, RunEvent, RunState, Transition } from './run-state.js'
import { isTerminal } from './run-state.js'
import type { RetryPolicy, StepDefinition, Workflow } from './workflow.js'

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
  if (isTerminal(state.status)) return unchanged(state)
  switch (event.type) {
    case 'woken':
      return woken(workflow, state, event.at)
    case 'leaseExpired':
      return leaseExpired(workflow, state, event.at)
    case 'stepCompleted':
    case 'stepFailed': {
      const step = workflow.steps[state.position]
      if (state.status !== 'running' || step?.key !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
      return event.type === 'stepCompleted'
        ? stepCompleted(workflow, state, { stepKey: step.key, stepName: step.name, kind: 'step_completed', attempt: event.attempt, result: event.result })
        : stepFailed(workflow, state, step, event.error, event.at)
    }
    case 'compensationCompleted':
    case 'compensationFailed': {
      const step = workflow.steps[state.position]
      if (state.status !== 'compensating' || step?.key !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
      return event.type === 'compensationCompleted'
        ? compensateBefore(workflow, { ...state, attempts: state.attempts + 1 }, state.position, [{ type: 'appendJournal', entry: journal(step, 'compensated', state.attempt) }])
        : compensationFailed(workflow, state, step, event.error, event.at)
    }
  }
}

/** The step the run is on, if any. */
export function currentStep(workflow: Workflow, state: RunState): StepDefinition | undefined {
  return isTerminal(state.status) ? undefined : workflow.steps[state.position]
}

function woken(workflow: Workflow, state: RunState, at: string): Transition {
  // Compare instants, not strings: `at` may be any ISO form ('…Z' without milliseconds, '+02:00').
  if (state.dueAt !== null && Date.parse(state.dueAt) > Date.parse(at)) return { state, commands: [{ type: 'scheduleWake', at: state.dueAt }] }
  const due: RunState = { ...state, dueAt: null, status: state.status === 'pending' ? 'running' : state.status }
  if (due.status === 'compensating') {
    const step = workflow.steps[due.position]!
    return { state: due, commands: [{ type: 'runCompensation', stepKey: step.key, stepName: step.name, attempt: due.attempt }] }
  }
  return continueAt(workflow, due, [])
}

function leaseExpired(workflow: Workflow, state: RunState, at: string): Transition {
  const step = workflow.steps[state.position]
  if (step === undefined || state.dueAt !== null) return unchanged(state)
  const error: StepError = {
    name: 'DurableError',
    code: 'LEASE_EXPIRED',
    message: `the worker running attempt ${state.attempt} of step "${step.name}" stopped without finishing it (crash or lost connection)`,
    retryable: true,
  }
  if (state.status === 'running') return stepFailed(workflow, state, step, error, at)
  if (state.status === 'compensating') return compensationFailed(workflow, state, step, error, at)
  return unchanged(state)
}

function stepCompleted(workflow: Workflow, state: RunState, entry: JournalRecord): Transition {
  const next: RunState = { ...state, position: state.position + 1, attempt: 1, attempts: state.attempts + 1 }
  return continueAt(workflow, next, [{ type: 'appendJournal', entry }])
}

/** Runs the step at `state.position`, or completes the run when there is none. */
function continueAt(workflow: Workflow, state: RunState, commands: Command[]): Transition {
  const step = workflow.steps[state.position]
  if (step === undefined) return { state: { ...state, status: 'completed' }, commands: [...commands, { type: 'completeRun' }] }
  return { state, commands: [...commands, { type: 'runStep', stepKey: step.key, stepName: step.name, attempt: state.attempt }] }
}

function stepFailed(workflow: Workflow, state: RunState, step: StepDefinition, error: StepError, at: string): Transition {
  const entry = journal(step, 'step_failed', state.attempt, error)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  const retry = nextTry(step.retry, state.attempt, error, at)
  if (retry.kind === 'again') {
    return scheduleTry({ ...counted, attempt: state.attempt + 1 }, retry.dueAt, entry, { type: 'runStep', stepKey: step.key, stepName: step.name, attempt: state.attempt + 1 })
  }
  const runError: RunError = {
    message: retry.kind === 'invalidBackoff' ? retry.message : error.message,
    step: step.name,
    ...(retry.kind === 'invalidBackoff' ? { code: 'INVALID_DEFINITION' } : error.code !== undefined ? { code: error.code } : {}),
  }
  return compensateBefore(workflow, { ...counted, error: runError }, state.position, [{ type: 'appendJournal', entry }])
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
  return compensateBefore(workflow, counted, state.position, [{ type: 'appendJournal', entry }])
}

/** Compensates the nearest step before `position` that has a compensator, or fails the run. */
function compensateBefore(workflow: Workflow, state: RunState, position: number, commands: Command[]): Transition {
  for (let i = position - 1; i >= 0; i--) {
    const step = workflow.steps[i]!
    if (step.compensation === undefined) continue
    return {
      state: { ...state, status: 'compensating', position: i, attempt: 1, dueAt: null },
      commands: [...commands, { type: 'runCompensation', stepKey: step.key, stepName: step.name, attempt: 1 }],
    }
  }
  const error = state.error ?? { message: 'run failed' }
  return { state: { ...state, status: 'failed', dueAt: null }, commands: [...commands, { type: 'failRun', error }] }
}

type NextTry = { kind: 'again'; dueAt: string | null } | { kind: 'exhausted' } | { kind: 'invalidBackoff'; message: string }

function nextTry(policy: RetryPolicy, failedAttempt: number, error: StepError, at: string): NextTry {
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
  const append: Command = { type: 'appendJournal', entry }
  if (dueAt === null) return { state, commands: [append, run] }
  return { state: { ...state, dueAt }, commands: [append, { type: 'scheduleWake', at: dueAt }] }
}

function journal(step: StepDefinition, kind: JournalRecord['kind'], attempt: number, error?: StepError): JournalRecord {
  return { stepKey: step.key, stepName: step.name, kind, attempt, ...(error !== undefined ? { error } : {}) }
}

function unchanged(state: RunState): Transition {
  return { state, commands: [] }
}
