import { journal, unchanged } from '../journal-record.js'
import { timerOf } from '../node-timer.js'
import type { RunState, Transition } from '../run-state.js'
import type { ChildDefinition, RouteDefinition, SleepDefinition } from '../workflow-nodes.js'
import type { Flow, NodeEvent } from './node-kind.js'

/**
 * A sleep's duration, a child's input or a route's key that the runtime could not compute (the
 * function threw) fails the step for good: running it again would compute the same.
 */
export function computeFailed(
  flow: Flow,
  node: SleepDefinition | ChildDefinition | RouteDefinition,
  state: RunState,
  event: Extract<NodeEvent, { type: 'stepFailed' }>,
): Transition {
  if (state.status !== 'running' || node.key !== event.stepKey || event.attempt !== state.attempt || timerOf(state) !== null) return unchanged(state)
  return flow.failForGood({ ...state, attempts: state.attempts + 1 }, node, event.error, journal(node, 'step_failed', state.attempt, event.error))
}
