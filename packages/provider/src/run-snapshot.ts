import type { Json, RunError, RunRecord, RunStatus } from '@durable/core'

/** A run as users see it. */
export interface RunSnapshot {
  readonly id: string
  readonly workflowName: string
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

/** Results by step name, as `ctx.results` and snapshots show them (later entries win: a loop's last result). */
export function resultsByName(entries: ReadonlyArray<{ stepKey: string; stepName: string; result: Json }>): Record<string, Json> {
  const results: Record<string, Json> = {}
  for (const entry of entries) addResult(results, entry)
  return results
}

/** Adds one journaled result: a parallel branch's (`notify.email`) goes into its node's map. */
export function addResult(results: Record<string, Json>, entry: { stepKey: string; stepName: string; result: Json }): void {
  if (entry.stepKey.startsWith(`${entry.stepName}.`)) {
    const branches = results[entry.stepName]
    const map = typeof branches === 'object' && branches !== null && !Array.isArray(branches) ? branches : {}
    results[entry.stepName] = { ...map, [entry.stepKey.slice(entry.stepName.length + 1)]: entry.result }
  } else {
    results[entry.stepName] = entry.result
  }
}
