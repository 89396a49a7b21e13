import type { RunError, RunState, RunStatus } from './run-state.js'
import { isTerminal } from './run-state.js'

/**
 * What a store keeps of a run state in its state column. The status and the error have columns
 * of their own, which claims, requests and queries read and write: they are stored there only,
 * so the row never holds two statuses.
 */
export type StoredState = Omit<RunState, 'status' | 'error'>

/** The state column's part of `state`. */
export function storedState(state: RunState): StoredState {
  const { status: _status, error: _error, ...stored } = state
  return stored
}

/**
 * A run state from its state column and its status and error columns. Rows written before the
 * split also hold a status in the state column: the columns win.
 */
export function stateFromStore(stored: StoredState, status: RunStatus, error: RunError | null): RunState {
  return { ...stored, status, error }
}

/** True while a run has not started: it is at no step yet, and not ended. */
export function notStarted(state: RunState): boolean {
  return state.step === null && !isTerminal(state.status)
}
