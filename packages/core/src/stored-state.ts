import { withTimer } from './node-timer.js'
import type { BranchState, NodeCursor, RunError, RunState, RunStatus } from './run-state.js'
import { isTerminal } from './run-state.js'

/**
 * What a store keeps of a run state in its state column. The status and the error have columns
 * of their own, which claims, requests and queries read and write: they are stored there only,
 * so the row never holds two statuses. The state holds no due time of the run either: the node's
 * own timer is in its cursor, and when a worker should next hold the run is the row's `due_at`.
 */
export type StoredState = Omit<RunState, 'status' | 'error'>

/** The state column's part of `state`. */
export function storedState(state: RunState): StoredState {
  const { status: _status, error: _error, ...stored } = state
  return stored
}

/**
 * A run state from its state column and its status and error columns. Rows written before the
 * split also hold a status in the state column: the columns win. Rows written before the node's
 * timer moved into its cursor hold a run-level `dueAt` (and parallel branches a `dueAt` each):
 * they are read in the new shape (see `fromLegacyTimer`).
 */
export function stateFromStore(stored: StoredState, status: RunStatus, error: RunError | null): RunState {
  const { status: _status, error: _error, dueAt, ...rest } = stored as LegacyStoredState
  const state: RunState = { ...rest, status, error }
  // Every old state has the key (null when due); a new one never does.
  return dueAt === undefined ? state : fromLegacyTimer(state, dueAt)
}

/** A state column as written before the node's timer moved into its cursor. */
type LegacyStoredState = StoredState & { readonly status?: RunStatus; readonly error?: RunError | null; readonly dueAt?: string | null }
type LegacyBranch = BranchState & { readonly dueAt?: string | null }

/**
 * The old run-level `dueAt` as the node's timer. It was the timer of whatever node the run was
 * at — a try's or a compensator's backoff, a loop's delay, a sleep's end, a signal wait's timeout —
 * except at a running parallel node, where it was the first of its branches' backoffs, which the
 * branches hold themselves; a child step never had one.
 */
function fromLegacyTimer(state: RunState, dueAt: string | null): RunState {
  const cursor = legacyCursor(state.cursor)
  const failedAt = state.failedAt === undefined ? undefined : { ...state.failedAt, ...(state.failedAt.cursor !== undefined ? { cursor: legacyCursor(state.failedAt.cursor) } : {}) }
  const migrated: RunState = { ...state, ...(cursor !== undefined ? { cursor } : {}), ...(failedAt !== undefined ? { failedAt } : {}) }
  if (dueAt === null || cursor?.kind === 'child' || (cursor?.kind === 'parallel' && cursor.compensating === undefined)) return migrated
  return withTimer(migrated, dueAt)
}

/** A cursor whose parallel branches say `notBefore` for their old `dueAt` (a branch with an outcome waits for nothing). */
function legacyCursor(cursor: NodeCursor | undefined): NodeCursor | undefined {
  if (cursor?.kind !== 'parallel' || cursor.branches === undefined) return cursor
  const branches = Object.fromEntries(
    Object.entries(cursor.branches as Readonly<Record<string, LegacyBranch>>).map(([name, { dueAt, ...branch }]) => [
      name,
      typeof dueAt === 'string' && branch.outcome === undefined ? { ...branch, notBefore: dueAt } : branch,
    ]),
  )
  return { ...cursor, branches }
}

/** True while a run has not started: it is at no step yet, and not ended. */
export function notStarted(state: RunState): boolean {
  return state.step === null && !isTerminal(state.status)
}
