import type { Json, RunError, RunRecord, RunStatus } from '@durable/core'

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
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A run in a `list()` page: the snapshot without results. */
export type RunSummary = Omit<RunSnapshot, 'results' | 'result'>

export function toSummary(run: RunRecord): RunSummary {
  return {
    id: run.id,
    workflowName: run.workflowName,
    version: run.workflowVersion,
    status: run.status,
    input: run.input,
    error: run.error,
    parentRunId: run.parentRunId,
    attempts: run.state.attempts,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  }
}

export function toSnapshot(run: RunRecord, results: Record<string, Json>): RunSnapshot {
  return { ...toSummary(run), results, result: run.status === 'completed' ? results : null }
}
