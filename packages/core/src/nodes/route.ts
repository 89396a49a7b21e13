import type { StepError } from '../errors.js'
import { append, journal, unchanged } from '../journal-record.js'
import { nameAt, stepAfter } from '../plan.js'
import type { RunState } from '../run-state.js'
import type { RouteDefinition } from '../workflow-nodes.js'
import { computeFailed } from './compute-failure.js'
import type { NodeKind } from './node-kind.js'

/** Chooses one branch by a key the runtime computes; the key is journaled, the branch runs inline. */
export const routeKind: NodeKind<RouteDefinition> = {
  enter: (_flow, node, state, _at, commands) => ({ state, commands: [...commands, { type: 'selectRoute', stepKey: node.key, stepName: node.name }] }),

  on(flow, node, state, event) {
    if (event.type === 'stepFailed') return computeFailed(flow, node, state, event)
    if (event.type !== 'routeSelected' || state.status !== 'running' || node.key !== event.stepKey) return unchanged(state)
    const span = node.branches[event.key]
    if (span === undefined) {
      const error: StepError = {
        name: 'DurableError',
        code: 'UNKNOWN_ROUTE',
        message: `route "${node.name}" selected "${event.key}", which is none of its branches (${Object.keys(node.branches)
          .map((k) => `"${k}"`)
          .join(', ')})`,
        retryable: false,
      }
      return flow.failForGood({ ...state, attempts: state.attempts + 1 }, node, error, journal(node, 'step_failed', state.attempt, error))
    }
    const { attemptOffset: _, ...rest } = state
    // An empty branch leaves the route at once.
    const step = span.start < span.end ? nameAt(flow.workflow, span.start) : stepAfter(flow.workflow, node.name, node.after)
    const entered: RunState = { ...rest, attempts: state.attempts + 1, routes: { ...state.routes, [node.name]: event.key }, attempt: 1, step }
    return flow.continueAt(entered, event.at, [append(journal(node, 'route_selected', state.attempt, undefined, event.key))])
  },
}
