import { DurableError, type JournalKind, type NewJournalEntry } from '@durable/core'
import type { JournalRow } from './memory-tables.js'

/**
 * Kinds a step may journal more than once: each failed try, each retry of a run, each child
 * started by a retried step. Every other kind — `step_completed`, `compensated`, … — is written at
 * most once per step key (guarantee 1), as store-postgres's unique index `journal_once_idx` says.
 */
const REPEATABLE_KINDS: ReadonlySet<JournalKind> = new Set<JournalKind>(['step_failed', 'compensation_failed', 'run_retried', 'child_started'])

/**
 * A write the journal's unique rules refuse. `code` is PostgreSQL's SQLSTATE for a unique
 * violation, so code that recognises store-postgres's conflict recognises this one too.
 *
 * @internal
 */
export class UniqueViolationError extends Error {
  override name = 'UniqueViolationError'
  readonly code = '23505'
  /** The store-postgres constraint with the same rule. */
  readonly constraint: string
  constructor(constraint: string, message: string) {
    super(message)
    this.constraint = constraint
  }
}

/**
 * The run's journal with `entries` appended, numbered on from `lastSeq`; throws, before anything
 * is written, when one of them breaks the journal's unique rules (against the journal or an
 * entry before it in the same batch).
 *
 * @internal
 */
export function appendJournal(runId: string, journal: readonly JournalRow[], entries: readonly NewJournalEntry[], lastSeq: number, now: number): JournalRow[] {
  const rows = [...journal]
  entries.forEach((entry, i) => {
    for (const row of rows) {
      if (row.stepKey !== entry.stepKey || row.kind !== entry.kind) continue
      if (row.attempt === entry.attempt) {
        throw new UniqueViolationError(
          'journal_run_id_step_key_kind_attempt_key',
          `run "${runId}" has journaled ${entry.kind} of step "${entry.stepKey}" attempt ${entry.attempt} already (seq ${row.seq})`,
        )
      }
      if (!REPEATABLE_KINDS.has(entry.kind)) {
        throw new UniqueViolationError(
          'journal_once_idx',
          `run "${runId}" has journaled ${entry.kind} of step "${entry.stepKey}" already (seq ${row.seq}): a step completes, or is compensated, once`,
        )
      }
    }
    rows.push({
      seq: lastSeq + i + 1,
      stepKey: entry.stepKey,
      stepName: entry.stepName,
      kind: entry.kind,
      attempt: entry.attempt,
      resultJson: entry.resultJson === undefined ? null : jsonText(entry.resultJson, `result of step "${entry.stepKey}"`),
      errorJson: entry.error === undefined ? null : JSON.stringify(entry.error),
      createdAt: entry.createdAt?.getTime() ?? now,
    })
  })
  return rows
}

/**
 * Checks that `text` is JSON, as a jsonb column would, and returns it.
 *
 * @internal
 */
export function jsonText(text: string, what: string): string {
  try {
    JSON.parse(text)
  } catch {
    throw new DurableError('INVALID_INPUT', `${what} is not valid JSON text`)
  }
  return text
}
