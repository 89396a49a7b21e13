import { append, journal, unchanged } from '../journal-record.js'
import { timerOf, timerPending, withoutTimer, withTimer } from '../node-timer.js'
import type { SleepDefinition } from '../workflow-nodes.js'
import { computeFailed } from './compute-failure.js'
import type { NodeKind } from './node-kind.js'

/** A durable timer: the wake-up time is journaled (`timer_started`), the run parks until then. */
export const sleepKind: NodeKind<SleepDefinition> = {
  enter: (_flow, node, state, _at, commands) => ({ state, commands: [...commands, { type: 'startTimer', stepKey: node.key, stepName: node.name }] }),

  on(flow, node, state, event) {
    if (event.type === 'stepFailed') return computeFailed(flow, node, state, event)
    if (event.type !== 'timerStarted') return unchanged(state)
    if (state.status !== 'running' || node.key !== event.stepKey || timerOf(state) !== null || Number.isNaN(Date.parse(event.until))) return unchanged(state)
    const entry = journal(node, 'timer_started', 1, undefined, { until: event.until })
    return { state: withTimer({ ...state, status: 'waiting' }, event.until), commands: [append(entry), { type: 'scheduleWake', at: event.until }] }
  },

  // Woken once the time has come, the timer fires; before, the run waits on.
  woken(flow, node, state, at) {
    if (timerPending(state, at)) return undefined
    return flow.next({ ...withoutTimer(state), status: 'running' }, at, [append(journal(node, 'timer_fired', 1))])
  },
}
