import { append, journal, unchanged } from '../journal-record.js'
import type { Command, RunState } from '../run-state.js'
import type { ChildDefinition } from '../workflow-nodes.js'
import { computeFailed } from './compute-failure.js'
import type { NodeKind } from './node-kind.js'

/** Starts a run of another workflow (in the transaction that journals `child_started`) and waits for it. */
export const childKind: NodeKind<ChildDefinition> = {
  enter: (_flow, node, state, _at, commands) => ({
    state,
    commands: [...commands, { type: 'startChild', stepKey: node.key, stepName: node.name, workflowName: node.workflowName }],
  }),

  on(flow, node, state, event) {
    if (event.type === 'stepFailed') return computeFailed(flow, node, state, event)
    if (!('stepKey' in event) || node.key !== event.stepKey) return unchanged(state)
    const childRunId = state.cursor?.kind === 'child' ? state.cursor.runId : undefined
    if (event.type === 'childStarted') {
      if (state.status !== 'running' || childRunId !== undefined) return unchanged(state)
      const entry = journal(node, 'child_started', state.attempt, undefined, { runId: event.childRunId })
      const waiting: RunState = { ...state, status: 'waiting', cursor: { kind: 'child', runId: event.childRunId } }
      return { state: waiting, commands: [append(entry), awaitChild(node, event.childRunId)] }
    }
    if ((event.type !== 'childCompleted' && event.type !== 'childFailed') || state.status !== 'waiting' || childRunId === undefined) return unchanged(state)
    const { cursor: _, ...rest } = state
    const counted: RunState = { ...rest, status: 'running', attempts: state.attempts + 1 }
    if (event.type === 'childCompleted') return flow.next(counted, event.at, [append(journal(node, 'child_completed', state.attempt, undefined, event.result))])
    return flow.failForGood(counted, node, event.error, journal(node, 'step_failed', state.attempt, event.error))
  },

  // Woken while it waits: look at the child (it may have ended).
  woken: (_flow, node, state) => (state.cursor?.kind === 'child' ? { state, commands: [awaitChild(node, state.cursor.runId)] } : undefined),
}

function awaitChild(node: ChildDefinition, childRunId: string): Command {
  return { type: 'awaitChild', stepKey: node.key, stepName: node.name, childRunId }
}
