import { timerOf } from './node-timer.js'
import { nodeNamed } from './plan.js'
import type { RunState } from './run-state.js'
import type { Workflow, WorkflowNode } from './workflow-nodes.js'

/**
 * What a `waiting` run waits for: a signal (named like its `waitForSignal` step, `until` its
 * timeout or null without one), a durable timer (a `sleep`), or the child run a `child` step
 * started. One at a time: only those three nodes park a run as `waiting` — a parallel node's
 * branches are steps, and a backoff or a loop's delay leaves the run `running` with a timer.
 */
export type WaitingFor =
  | { readonly kind: 'signal'; readonly name: string; readonly until: Date | null }
  | { readonly kind: 'timer'; readonly until: Date }
  | { readonly kind: 'child'; readonly runId: string }

/**
 * What a run waits for, derived from its state; null unless its status is `waiting`. Pure.
 *
 * `definition` tells a sleep from a signal wait with a timeout (both wait on the node's timer,
 * `timerOf`): the workflow the run started with, or the text of its recorded shape
 * (`workflowShape`). Without either, a child wait and a signal wait without timeout are still
 * told apart by the state alone, and a wait with a timer reads as the timer that wakes the run then.
 *
 * ### Example
 * ```ts
 * waitingFor(run.state, approval) // { kind: 'signal', name: 'approved', until: 2026-01-08T12:00:00.000Z }
 * ```
 */
export function waitingFor(state: RunState, definition?: Workflow | string): WaitingFor | null {
  if (state.status !== 'waiting' || state.step === null) return null
  if (state.cursor?.kind === 'child') return { kind: 'child', runId: state.cursor.runId }
  const timer = timerOf(state)
  const until = timer === null ? null : new Date(timer)
  const kind = definition === undefined ? undefined : typeof definition === 'string' ? kindInShape(definition, state.step) : nodeNamed(definition, state.step)?.kind
  if (kind === 'waitForSignal' || until === null) return { kind: 'signal', name: state.step, until }
  return { kind: 'timer', until }
}

/**
 * The kind of the node named `step` in a shape's text (`step:a > sleep:nap > waitForSignal:ok`);
 * undefined when no sleep or signal wait has that name.
 */
function kindInShape(shape: string, step: string): WorkflowNode['kind'] | undefined {
  // A node sits after the start, a separator (` > `), a branch's `[`, or the space between branches.
  const escaped = step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const found = new RegExp(`(?:^|[ [])(sleep|waitForSignal):${escaped}(?=$| |\\])`).exec(shape)
  return found?.[1] as WorkflowNode['kind'] | undefined
}
