import type { NewJournalEntry } from '@durable/core'
import { sql, type RawBuilder } from 'kysely'
import { jsonb } from '../jsonb.js'

/**
 * `(n, step_key, step_name, kind, attempt, result, error, created_at)` rows for an INSERT … SELECT. Every
 * parameter is cast: a bare parameter in a select list gets no type from the target column, and
 * PGlite serializes parameters by their type.
 *
 * @internal
 */
export function journalValues(entries: readonly NewJournalEntry[]): RawBuilder<unknown> {
  return sql.join(
    entries.map(
      (entry, i) => sql`(
        cast(${i + 1} AS integer), cast(${entry.stepKey} AS text), cast(${entry.stepName} AS text), cast(${entry.kind} AS text),
        cast(${entry.attempt} AS integer), ${jsonb(entry.resultJson ?? null)},
        ${jsonb(entry.error === undefined ? null : JSON.stringify(entry.error))}, cast(${entry.createdAt ?? null} AS timestamptz))`,
    ),
  )
}
