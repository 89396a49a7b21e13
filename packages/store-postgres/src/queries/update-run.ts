import type { NewJournalEntry, RunUpdate } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import { jsonb } from '../jsonb.js'
import type { Tables } from '../rows.js'
import { journalValues } from './journal-values.js'

/**
 * Applies a fenced update to a run, and appends its journal entries, in ONE statement.
 *
 * The fence is `lease_owner = owner` in the UPDATE's WHERE: the UPDATE takes the row lock itself,
 * and under READ COMMITTED re-checks the condition on the newest row version after waiting for
 * that lock, so a worker whose lease was taken over updates nothing. The journal row is inserted
 * from the UPDATE's RETURNING: no lease, no row; and its `seq` is the `next_seq` the same UPDATE
 * incremented, so a run's sequence has no gaps and no duplicates. Being one statement, the pair
 * commits or fails as one without an explicit transaction: one round trip per step.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function updateRun(db: Kysely<any>, tables: Tables, update: RunUpdate): Promise<boolean> {
  const { state } = update
  const entries = update.journal === undefined ? [] : Array.isArray(update.journal) ? update.journal : [update.journal as NewJournalEntry]
  const lease =
    update.leaseUntil === null
      ? sql`lease_owner = NULL, lease_expires_at = NULL`
      : sql`lease_expires_at = ${update.leaseUntil}`
  // While the worker keeps the lease the run is due (for whoever takes over if the lease lapses):
  // a due time already past is kept as it is, so the row's indexed columns do not change between
  // steps and Postgres can update it in place (HOT), without new index entries.
  const dueAt =
    update.leaseUntil !== null && update.dueAt !== null && update.dueAt.getTime() <= update.now.getTime()
      ? sql`CASE WHEN due_at IS NOT NULL AND due_at <= cast(${update.dueAt} AS timestamptz) THEN due_at ELSE cast(${update.dueAt} AS timestamptz) END`
      : sql`${update.dueAt}`
  const changes = sql`
    state = ${jsonb(JSON.stringify(state))},
    status = ${state.status},
    error = ${jsonb(state.error === null ? null : JSON.stringify(state.error))},
    due_at = ${dueAt},
    updated_at = ${update.now},
    ${lease}`
  const fence = sql`id = ${update.runId} AND lease_owner = ${update.owner}`
  // A child that ends makes its waiting parent due in the same statement: no crash can come
  // between the two, and the reconciler dispatches the parent if the job is lost.
  const wake =
    update.wake === undefined
      ? sql``
      : sql`, w AS (UPDATE ${tables.runs} SET due_at = cast(${update.now} AS timestamptz)
          WHERE id = ${update.wake} AND status = 'waiting' AND EXISTS (SELECT 1 FROM u) RETURNING id)`

  if (entries.length === 0) {
    const { rows } = await sql`
      WITH u AS (UPDATE ${tables.runs} SET ${changes} WHERE ${fence} RETURNING id) ${wake}
      SELECT id FROM u`.execute(db)
    return rows.length > 0
  }
  const { rows } = await sql`
    WITH u AS (
      UPDATE ${tables.runs} SET ${changes}, next_seq = next_seq + cast(${entries.length} AS integer) WHERE ${fence} RETURNING id, next_seq
    ) ${wake}
    INSERT INTO ${tables.journal} (run_id, seq, step_key, step_name, kind, attempt, result, error, created_at)
    SELECT u.id, u.next_seq - cast(${entries.length} AS integer) + e.n, e.step_key, e.step_name, e.kind, e.attempt, e.result, e.error, coalesce(e.created_at, cast(${update.now} AS timestamptz))
    FROM u CROSS JOIN (VALUES ${journalValues(entries)}) AS e (n, step_key, step_name, kind, attempt, result, error, created_at)
    RETURNING seq
  `.execute(db)
  return rows.length > 0
}
