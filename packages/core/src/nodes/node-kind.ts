import type { StepError } from '../errors.js'
import type { Command, JournalRecord, RunEvent, RunState, Transition } from '../run-state.js'
import type { Workflow, WorkflowNode } from '../workflow-nodes.js'

/**
 * The moves every node kind shares, given to a kind's handlers by the run's flow (`flow.ts`):
 * a node hands the run on without knowing what the next node is.
 */
export interface Flow {
  readonly workflow: Workflow
  /** Enters the node named `state.step`, or completes the run past the last one. */
  continueAt(state: RunState, at: string, commands: Command[]): Transition
  /** Leaves the node named `state.step` (finished) and enters the next. */
  next(state: RunState, at: string, commands: Command[]): Transition
  /** The node failed for good with `entry` journaled: remember where, and roll back. */
  failForGood(state: RunState, node: WorkflowNode, error: StepError, entry: JournalRecord): Transition
  /** Rolls back from the node named `step` down: a parallel node's own branches first. */
  compensateFrom(state: RunState, step: string | null, commands: Command[]): Transition
  /** Rolls back the nodes before the node named `step`, then ends the run failed or cancelled. */
  compensateBefore(state: RunState, step: string | null, commands: Command[]): Transition
}

/** An event about one node: a try's outcome, a timer, a signal, a route's key, a child. */
export type NodeEvent = Exclude<RunEvent, { type: 'claimed' | 'woken' | 'leaseExpired' | 'cancelRequested' | 'deadlinePassed' | 'retryRequested' }>

/**
 * What one kind of node does, as pure transitions. `enter` is called when the run arrives at the
 * node or is woken there with nothing parked; `woken` when it is woken while it waits at the node
 * (a timer, a signal, a child); `on` for the events about the node; `interrupted` when the worker
 * that held the run died there. Absent `woken`/`interrupted`: the run simply enters the node again.
 */
export interface NodeKind<N extends WorkflowNode> {
  enter(flow: Flow, node: N, state: RunState, at: string, commands: Command[]): Transition
  on(flow: Flow, node: N, state: RunState, event: NodeEvent): Transition
  woken?(flow: Flow, node: N, state: RunState, at: string): Transition | undefined
  interrupted?(flow: Flow, node: N, state: RunState, at: string): Transition | undefined
}
