import type { JournalEntry } from '@durable/core'
import type { RunSnapshot, RunSummary } from '@durable/provider'

/**
 * The `--json` shapes. Keys are listed one by one so that they stay stable (same keys, same
 * order, `null` rather than absent) whatever the runtime adds to its objects later.
 */

/** A run of `runs list --json`. */
export function summaryJson(run: RunSummary) {
  return {
    id: run.id,
    workflowName: run.workflowName,
    status: run.status,
    input: run.input,
    error: run.error === null ? null : { message: run.error.message, code: run.error.code ?? null, step: run.error.step ?? null },
    parentRunId: run.parentRunId,
    attempts: run.attempts,
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
  }
}

/** The run of `runs show --json`: the summary plus `results` and `result`. */
export function snapshotJson(run: RunSnapshot) {
  const { id, workflowName, status, input, error, parentRunId, attempts, createdAt, updatedAt } = summaryJson(run)
  return { id, workflowName, status, input, results: run.results, result: run.result, error, parentRunId, attempts, createdAt, updatedAt }
}

/** A journal entry of `runs show --json`. A step's error keeps name, message, code, retryable. */
export function journalEntryJson(entry: JournalEntry) {
  return {
    seq: entry.seq,
    stepKey: entry.stepKey,
    stepName: entry.stepName,
    kind: entry.kind,
    attempt: entry.attempt,
    result: entry.result === undefined ? null : entry.result,
    error:
      entry.error === undefined
        ? null
        : { name: entry.error.name, message: entry.error.message, code: entry.error.code ?? null, retryable: entry.error.retryable },
    createdAt: entry.createdAt.toISOString(),
  }
}
