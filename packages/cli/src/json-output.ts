import type { JournalEntry, PendingSignal, WaitingFor } from '@durable/core'
import type { RunSnapshot, RunSummary, ScheduleInfo } from '@durable/provider'

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
    waitingFor: run.waitingFor === null ? null : waitingForJson(run.waitingFor),
    createdAt: run.createdAt.toISOString(),
    updatedAt: run.updatedAt.toISOString(),
  }
}

/** The run of `runs show --json`: the summary plus `results` and `result`. */
export function snapshotJson(run: RunSnapshot) {
  const { id, workflowName, status, input, error, parentRunId, attempts, waitingFor, createdAt, updatedAt } = summaryJson(run)
  return { id, workflowName, status, input, results: run.results, result: run.result, error, parentRunId, attempts, waitingFor, createdAt, updatedAt }
}

/** What a run waits for: `{ kind: 'signal', name, until }` (`until` null without timeout), `{ kind: 'timer', until }`, `{ kind: 'child', runId }`. */
export function waitingForJson(waiting: WaitingFor) {
  switch (waiting.kind) {
    case 'signal':
      return { kind: waiting.kind, name: waiting.name, until: waiting.until === null ? null : waiting.until.toISOString() }
    case 'timer':
      return { kind: waiting.kind, until: waiting.until.toISOString() }
    case 'child':
      return { kind: waiting.kind, runId: waiting.runId }
  }
}

/** A schedule in `durable schedules --json` (and the dashboard's `GET /api/schedules`). */
export function scheduleJson(schedule: ScheduleInfo) {
  return { name: schedule.name, workflowName: schedule.workflowName, cron: schedule.cron, nextAt: schedule.nextAt?.toISOString() ?? null, lastRunId: schedule.lastRunId }
}

/** A signal the run has not taken yet, in `runs show --json`. */
export function pendingSignalJson(signal: PendingSignal) {
  return { name: signal.name, payload: signal.payload, sentAt: signal.sentAt.toISOString() }
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
    error: entry.error === undefined ? null : { name: entry.error.name, message: entry.error.message, code: entry.error.code ?? null, retryable: entry.error.retryable },
    createdAt: entry.createdAt.toISOString(),
  }
}
