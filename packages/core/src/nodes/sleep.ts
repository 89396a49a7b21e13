import { append, journal, unchanged } from '../journal-record.js'
import type { SleepDefinition } from '../workflow-nodes.js'
import { computeFailed } from './compute-failure.js'
import type { NodeKind } from './node-kind.js'

/** A durable timer: the wake-up time is journaled (`timer_started`), the run parks until then. */
export const sleepKind: NodeKind<SleepDefinition> = {
  enter: (_flow, node, state, _at, commands) => ({ state, commands: [...commands, { type: 'startTimer', stepKey: node.key, stepName: node.name }] }),

  on(flow, node, state, event) {
    if (event.type === 'stepFailed') return computeFailed(flow, node, state, event)
    if (event.type !== 'timerStarted') return unchanged(state)
    if (state.status !== 'running' || node.key !== event.stepKey || state.dueAt !== null || Number.isNaN(Date.parse(event.until))) return unchanged(state)
    const entry = journal(node, 'timer_started', 1, undefined, { until: event.until })
    return { state: { ...state, status: 'waiting', dueAt: event.until }, commands: [append(entry), { type: 'scheduleWake', at: event.until }] }
  },

  // Woken once the time has come, the timer fires; before, the run waits on.
  woken(flow, node, state, at) {
    if (state.dueAt !== null && Date.parse(state.dueAt) > Date.parse(at)) return undefined
    return flow.next({ ...state, status: 'running', dueAt: null }, at, [append(journal(node, 'timer_fired', 1))])
  },
}
