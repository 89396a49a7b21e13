import type { JournalEntry } from '@durable/core'
import type { RunSnapshot } from '@durable/provider'
import { journalEntryJson } from '../json-output.js'

/** One journal entry as the dashboard draws it: the entry, and the bar that leads up to it. */
export interface TimelineRow {
  readonly seq: number
  readonly stepKey: string
  readonly stepName: string
  readonly kind: string
  readonly attempt: number
  readonly result: unknown
  readonly error: { name: string; message: string; code: string | null; retryable: boolean; stack: string | null } | null
  readonly createdAt: string
  /** Where the bar starts: the previous entry's time (the first: the run's creation), from the run's creation. */
  readonly startOffsetMs: number
  /** The bar's length: this entry's time minus the previous one's. Negative only under clock skew between workers. */
  readonly durationMs: number
  /** An entry that undoes a step (`compensated`, `compensation_failed`). */
  readonly compensation: boolean
  /** The run a `child_started` entry started, for a link to it. */
  readonly childRunId: string | null
}

/** The journal of a run laid out in time. */
export interface RunTimeline {
  /** From the run's creation to its last entry or last update, whichever is later. */
  readonly spanMs: number
  readonly rows: readonly TimelineRow[]
}

/**
 * Lays a run's journal out in time. The journal records when each entry was written, not when a
 * step started, so a row's duration is the gap since the entry before it: the step's own work
 * plus whatever came before it — waiting in the queue, backoff between attempts, a sleep, a wait
 * for a signal or a child. The page says so under the timeline.
 *
 * ### Example
 * ```ts
 * const { spanMs, rows } = runTimeline(await durable.find(id), await durable.journal(id))
 * rows[0] // { seq: 1, stepKey: 'reserve', kind: 'step_completed', startOffsetMs: 0, durationMs: 35, … }
 * ```
 */
export function runTimeline(run: RunSnapshot, journal: readonly JournalEntry[]): RunTimeline {
  const start = run.createdAt.getTime()
  let previous = start
  let end = Math.max(start, run.updatedAt.getTime())
  const rows = journal.map((entry): TimelineRow => {
    const at = entry.createdAt.getTime()
    const json = journalEntryJson(entry)
    const row: TimelineRow = {
      ...json,
      // The dashboard folds the stack under the error; `runs show --json` leaves it out.
      error: json.error === null ? null : { ...json.error, stack: entry.error?.stack ?? null },
      startOffsetMs: previous - start,
      durationMs: at - previous,
      compensation: entry.kind === 'compensated' || entry.kind === 'compensation_failed',
      childRunId: entry.kind === 'child_started' ? childRunIdOf(entry.result) : null,
    }
    previous = at
    end = Math.max(end, at)
    return row
  })
  return { spanMs: end - start, rows }
}

/** `child_started` journals `{ runId }` of the child it started. */
function childRunIdOf(result: unknown): string | null {
  const runId = (result as { runId?: unknown } | null | undefined)?.runId
  return typeof runId === 'string' ? runId : null
}
