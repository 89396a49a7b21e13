import { waitingFor, type Json, type RunError, type RunRecord, type RunStatus, type WaitingFor, type Workflow } from '@durable/core'

/** A run as users see it. */
export interface RunSnapshot {
  readonly id: string
  readonly workflowName: string
  /** The `version` of the definition the run started with; null when it has none. */
  readonly version: string | null
  readonly status: RunStatus
  readonly input: Json
  /** Each finished step's name mapped to its result. */
  readonly results: Record<string, Json>
  /** `null` until the run is `completed`; then the same map as `results`. */
  readonly result: Record<string, Json> | null
  readonly error: RunError | null
  readonly parentRunId: string | null
  /** Tries (of steps and compensators) that reached the journal. */
  readonly attempts: number
  /**
   * What a `waiting` run waits for — a signal (`until` its timeout, or null), a timer, or a child
   * run — and null for a run in any other status. See `waitingFor` in `@durable/core`.
   */
  readonly waitingFor: WaitingFor | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A run in a `list()` page: the snapshot without results. */
export type RunSummary = Omit<RunSnapshot, 'results' | 'result'>

/**
 * The summary of a stored run. `definition` — the workflow the run started with, or its recorded
 * shape — tells a sleep from a signal wait with a timeout in `waitingFor`.
 */
export function toSummary(run: RunRecord, definition?: Workflow | string): RunSummary {
  return {
    id: run.id,
    workflowName: run.workflowName,
    version: run.workflowVersion,
    status: run.status,
    input: run.input,
    error: run.error,
    parentRunId: run.parentRunId,
    attempts: run.state.attempts,
    waitingFor: waitingFor(run.state, definition),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  }
}

export function toSnapshot(run: RunRecord, results: Record<string, Json>, definition?: Workflow | string): RunSnapshot {
  return { ...toSummary(run, definition), results, result: run.status === 'completed' ? results : null }
}
