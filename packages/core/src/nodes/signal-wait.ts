import type { StepError } from '../errors.js'
import { append, journal, unchanged } from '../journal-record.js'
import { timerOf, withoutTimer, withTimer } from '../node-timer.js'
import type { Command, RunState } from '../run-state.js'
import type { SignalWaitDefinition } from '../workflow-nodes.js'
import type { NodeKind } from './node-kind.js'

/** A wait for a signal named like the step; with a timeout, the step fails when none came in time. */
export const signalWaitKind: NodeKind<SignalWaitDefinition> = {
  enter(_flow, node, state, at, commands) {
    const timeoutAt = node.timeoutMs === undefined ? null : new Date(Date.parse(at) + node.timeoutMs).toISOString()
    const waiting: RunState = { ...withoutTimer(state), status: 'waiting' }
    return { state: timeoutAt === null ? waiting : withTimer(waiting, timeoutAt), commands: [...commands, awaitSignal(node, timeoutAt)] }
  },

  on(flow, node, state, event) {
    if (state.status !== 'waiting' || (event.type !== 'signalReceived' && event.type !== 'signalTimedOut') || node.key !== event.stepKey) return unchanged(state)
    if (event.type === 'signalReceived') {
      const entry = journal(node, 'signal_received', state.attempt, undefined, event.payload)
      return flow.next({ ...withoutTimer(state), status: 'running' }, event.at, [append(entry)])
    }
    // Only a wait with a timeout can time out. The runtime sends this once the timeout passed;
    // the wait's start is not journaled, so a replay cannot check the time again.
    if (timerOf(state) === null) return unchanged(state)
    const error: StepError = { name: 'DurableError', code: 'SIGNAL_TIMEOUT', message: `no signal "${node.name}" arrived within ${node.timeoutMs} ms`, retryable: false }
    return flow.failForGood({ ...withoutTimer(state), attempts: state.attempts + 1 }, node, error, journal(node, 'step_failed', state.attempt, error))
  },

  // A waiting run is woken by a signal as much as by its timeout: the runtime looks for both.
  woken: (_flow, node, state) => ({ state, commands: [awaitSignal(node, timerOf(state))] }),
}

function awaitSignal(node: SignalWaitDefinition, timeoutAt: string | null): Command {
  return { type: 'awaitSignal', stepKey: node.key, stepName: node.name, timeoutAt }
}
