import type { StepError } from '../errors.js'
import { append, journal, unchanged } from '../journal-record.js'
import { timerOf } from '../node-timer.js'
import { exhaustedBy, leaseExpiredError, nextTry, scheduleTry } from '../retry-policy.js'
import type { Command, RunState, Transition } from '../run-state.js'
import type { LoopDefinition, StepDefinition } from '../workflow-nodes.js'
import type { Flow, NodeKind } from './node-kind.js'

/** A plain step: one handler, tried by its retry policy, undone by its compensator. */
export const stepKind: NodeKind<StepDefinition> = {
  enter: (_flow, node, state, _at, commands) => ({ state, commands: [...commands, runStep(node, state.attempt)] }),

  on(flow, node, state, event) {
    switch (event.type) {
      case 'stepCompleted': {
        if (!tryOf(node, state, event)) return unchanged(state)
        const entry = journal(node, 'step_completed', event.attempt, undefined, event.result)
        return flow.next({ ...state, attempts: state.attempts + 1 }, event.at, [append(entry)])
      }
      case 'stepFailed':
        return tryOf(node, state, event) ? tryFailed(flow, node, state, event.error, event.at, (again) => runStep(node, again.attempt)) : unchanged(state)
      case 'compensationCompleted':
      case 'compensationFailed': {
        if (state.status !== 'compensating' || node.key !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
        if (event.type === 'compensationFailed') return compensationFailed(flow, node, state, event.error, event.at)
        return flow.compensateBefore({ ...state, attempts: state.attempts + 1 }, node.name, [append(journal(node, 'compensated', state.attempt))])
      }
      default:
        return unchanged(state)
    }
  },

  // Only a handler can have been cut short: a try, or a compensator.
  interrupted(flow, node, state, at) {
    if (timerOf(state) !== null) return undefined
    if (state.status === 'running')
      return tryFailed(flow, node, state, leaseExpiredError(`attempt ${state.attempt} of step "${node.name}"`), at, (again) => runStep(node, again.attempt))
    if (state.status === 'compensating') return compensationFailed(flow, node, state, leaseExpiredError(`attempt ${state.attempt} of step "${node.name}"`), at)
    return undefined
  },
}

/** True when the event is about the try the run waits for. */
function tryOf(node: StepDefinition, state: RunState, event: { stepKey: string; attempt: number }): boolean {
  return state.status === 'running' && node.key === event.stepKey && event.attempt === state.attempt
}

/** The command that runs a step's try. */
export function runStep(node: { key: string; name: string }, attempt: number, iteration?: number, key = node.key): Command {
  return { type: 'runStep', stepKey: key, stepName: node.name, attempt, ...(iteration !== undefined ? { iteration } : {}) }
}

/** The command that runs a step's compensator. */
export function runCompensation(node: { key: string; name: string }, attempt: number): Command {
  return { type: 'runCompensation', stepKey: node.key, stepName: node.name, attempt }
}

/**
 * A try of a step or a loop's iteration failed: journal it, then try again by the policy (now or
 * after its backoff) or fail for good. `tryAgain` makes the next try's command.
 */
export function tryFailed(
  flow: Flow,
  node: StepDefinition | LoopDefinition,
  state: RunState,
  error: StepError,
  at: string,
  tryAgain: (again: RunState) => Command,
  key = node.key,
): Transition {
  const entry = journal(node, 'step_failed', state.attempt, error, undefined, key)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  const retry = nextTry(node.retry, state.attempt - (state.attemptOffset ?? 0), error, at)
  if (retry.kind === 'again') {
    const again: RunState = { ...counted, attempt: state.attempt + 1 }
    return scheduleTry(again, retry.notBefore, entry, tryAgain(again))
  }
  return flow.failForGood(counted, node, exhaustedBy(retry, error), entry)
}

function compensationFailed(flow: Flow, step: StepDefinition, state: RunState, error: StepError, at: string): Transition {
  const entry = journal(step, 'compensation_failed', state.attempt, error)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  const retry = nextTry(step.compensation!.retry, state.attempt, error, at)
  if (retry.kind === 'again') return scheduleTry({ ...counted, attempt: state.attempt + 1 }, retry.notBefore, entry, runCompensation(step, state.attempt + 1))
  // A compensator that keeps failing is recorded and the rollback goes on: one stuck undo must
  // not leave every earlier step un-compensated.
  return flow.compensateBefore(counted, step.name, [append(entry)])
}
