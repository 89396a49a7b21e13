import type { StepError } from '../errors.js'
import type { Json } from '../json.js'
import { append, journal, unchanged } from '../journal-record.js'
import { timerOf, withTimer } from '../node-timer.js'
import { leaseExpiredError } from '../retry-policy.js'
import type { Command, RunState, Transition } from '../run-state.js'
import { iterationKey, type LoopDefinition } from '../workflow-nodes.js'
import type { Flow, NodeKind } from './node-kind.js'
import { runStep, tryFailed } from './step.js'

/** A step run again and again until its `until` says done; each iteration journaled as `name#i`. */
export const loopKind: NodeKind<LoopDefinition> = {
  enter: (_flow, node, state, _at, commands) => ({ state, commands: [...commands, tryIteration(node, state)] }),

  on(flow, node, state, event) {
    if (event.type !== 'stepCompleted' && event.type !== 'stepFailed') return unchanged(state)
    if (state.status !== 'running' || iterationKey(node, iterationOf(state)) !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
    if (event.type === 'stepFailed') return failed(flow, node, state, event.error, event.at)
    return iterated(flow, node, state, event.result, event.done === true, event.at)
  },

  interrupted(flow, node, state, at) {
    if (timerOf(state) !== null || state.status !== 'running') return undefined
    return failed(flow, node, state, leaseExpiredError(`attempt ${state.attempt} of step "${node.name}"`), at)
  },
}

/** The current iteration (0-based). */
function iterationOf(state: RunState): number {
  return state.cursor?.kind === 'loop' ? state.cursor.iteration : 0
}

function tryIteration(node: LoopDefinition, state: RunState): Command {
  const iteration = iterationOf(state)
  return runStep(node, state.attempt, iteration, iterationKey(node, iteration))
}

function failed(flow: Flow, node: LoopDefinition, state: RunState, error: StepError, at: string): Transition {
  return tryFailed(flow, node, state, error, at, (again) => tryIteration(node, again), iterationKey(node, iterationOf(state)))
}

/** An iteration returned; `done` is what the loop's `until` said of its result. */
function iterated(flow: Flow, loop: LoopDefinition, state: RunState, result: Json, done: boolean, at: string): Transition {
  const iteration = iterationOf(state)
  const key = iterationKey(loop, iteration)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  if (done) return flow.next(counted, at, [append(journal(loop, 'step_completed', state.attempt, undefined, result, key))])
  const entry = journal(loop, 'iteration_completed', state.attempt, undefined, result, key)
  const { attemptOffset: _, ...rest } = counted
  const next: RunState = { ...rest, cursor: { kind: 'loop', iteration: iteration + 1 }, attempt: 1 }
  if (iteration + 1 >= loop.maxIterations) {
    const error: StepError = {
      name: 'DurableError',
      code: 'LOOP_LIMIT',
      message: `loop "${loop.name}" was not done after ${loop.maxIterations} iteration(s): raise maxIterations or check its until()`,
      retryable: false,
    }
    return flow.failForGood(next, loop, error, entry)
  }
  if (loop.delayMs === 0) return flow.continueAt(next, at, [append(entry)])
  const notBefore = new Date(Date.parse(at) + loop.delayMs).toISOString()
  return { state: withTimer(next, notBefore), commands: [append(entry), { type: 'scheduleWake', at: notBefore }] }
}
