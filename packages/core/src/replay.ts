import type { JournalRecord, RunEvent, RunState } from './run-state.js'
import { initialState, transition } from './transition.js'
import type { Workflow } from './workflow.js'

/** A journal entry as read back from a store. */
export type JournaledRecord = JournalRecord & { readonly createdAt: string }

/**
 * The event a journal entry records. Folding these through `transition` rebuilds a run's state,
 * which is how the property tests check that the journal alone is the truth.
 */
export function eventOf(entry: JournaledRecord): RunEvent {
  const base = { stepKey: entry.stepKey, attempt: entry.attempt, at: entry.createdAt }
  switch (entry.kind) {
    case 'step_completed':
      return { type: 'stepCompleted', ...base, result: entry.result ?? null }
    case 'step_failed':
      return { type: 'stepFailed', ...base, error: entry.error! }
    case 'compensated':
      return { type: 'compensationCompleted', ...base }
    case 'compensation_failed':
      return { type: 'compensationFailed', ...base, error: entry.error! }
  }
}

/**
 * Rebuilds a run's state from its journal, in `seq` order. Each entry is preceded by a `woken`
 * event at its own time, as a worker wakes the run before every try.
 *
 * ### Example
 * ```ts
 * const state = replay(checkout, await durable.journal(runId))
 * ```
 */
export function replay(workflow: Workflow, entries: readonly JournaledRecord[]): RunState {
  let state = initialState(workflow)
  for (const entry of entries) {
    state = transition(workflow, state, { type: 'woken', at: entry.createdAt }).state
    state = transition(workflow, state, eventOf(entry)).state
  }
  return state
}
