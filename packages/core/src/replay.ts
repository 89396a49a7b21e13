import type { JournalRecord, RunEvent, RunState } from './run-state.js'
import { initialState, transition } from './transition.js'
import type { Workflow } from './workflow-nodes.js'

/** A journal entry as read back from a store. */
export type JournaledRecord = JournalRecord & { readonly createdAt: string }

/**
 * The event a journal entry records. Folding these through `transition` rebuilds a run's state,
 * which is how the property tests check that the journal alone is the truth.
 */
export function eventOf(entry: JournaledRecord, workflow?: Workflow): RunEvent {
  const base = { stepKey: entry.stepKey, attempt: entry.attempt, at: entry.createdAt }
  switch (entry.kind) {
    case 'step_completed':
      // For a loop, its final iteration: the one `until` said was done.
      return { type: 'stepCompleted', ...base, result: entry.result ?? null, done: true }
    case 'iteration_completed':
      return { type: 'stepCompleted', ...base, result: entry.result ?? null, done: false }
    case 'step_failed': {
      // A signal wait that timed out is journaled as its step failing.
      const node = workflow?.steps.find((s) => s.key === entry.stepKey)
      if (node?.kind === 'waitForSignal') return { type: 'signalTimedOut', stepKey: entry.stepKey, at: entry.createdAt }
      if (node?.kind === 'child') return { type: 'childFailed', stepKey: entry.stepKey, error: entry.error!, at: entry.createdAt }
      return { type: 'stepFailed', ...base, error: entry.error! }
    }
    case 'timer_started':
      return { type: 'timerStarted', stepKey: entry.stepKey, until: (entry.result as { until: string }).until, at: entry.createdAt }
    case 'timer_fired':
      return { type: 'woken', at: entry.createdAt }
    case 'signal_received':
      return { type: 'signalReceived', stepKey: entry.stepKey, payload: entry.result ?? null, at: entry.createdAt }
    case 'cancel_requested':
      return { type: 'cancelRequested', ...(typeof entry.result === 'string' ? { reason: entry.result } : {}), at: entry.createdAt }
    case 'run_timed_out':
      return { type: 'deadlinePassed', at: entry.createdAt }
    case 'route_selected':
      return { type: 'routeSelected', stepKey: entry.stepKey, key: String(entry.result), at: entry.createdAt }
    case 'child_started':
      return { type: 'childStarted', stepKey: entry.stepKey, childRunId: (entry.result as { runId: string }).runId, at: entry.createdAt }
    case 'child_completed':
      return { type: 'childCompleted', stepKey: entry.stepKey, result: entry.result ?? null, at: entry.createdAt }
    case 'run_retried':
      return { type: 'retryRequested', at: entry.createdAt }
    case 'compensated':
      return { type: 'compensationCompleted', ...base }
    case 'compensation_failed':
      return { type: 'compensationFailed', ...base, error: entry.error! }
  }
}

/** Entries about the run as a whole: applied to the run as it is, not after waking it. */
const RUN_ENTRIES: ReadonlySet<JournalRecord['kind']> = new Set(['cancel_requested', 'run_timed_out', 'run_retried'])

/**
 * Rebuilds a run's state from its journal, in `seq` order. Each entry but a cancel, a timeout or a
 * retry is preceded by a `woken` event at its own time, as a worker wakes the run before every try.
 *
 * ### Example
 * ```ts
 * const state = replay(checkout, await durable.journal(runId))
 * ```
 */
export function replay(workflow: Workflow, entries: readonly JournaledRecord[]): RunState {
  let state = initialState(workflow)
  for (const entry of entries) {
    if (!RUN_ENTRIES.has(entry.kind)) state = transition(workflow, state, { type: 'woken', at: entry.createdAt }).state
    state = transition(workflow, state, eventOf(entry, workflow)).state
  }
  return state
}
