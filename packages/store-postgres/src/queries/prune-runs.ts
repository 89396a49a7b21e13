import { DurableError, type PruneRunsQuery } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import type { Tables } from '../rows.js'

/**
 * Deletes one batch of ended runs — at most `query.limit`, in one statement — and returns how
 * many went; their journal and signals go with them (`ON DELETE CASCADE`). With `dryRun`, counts
 * every run that matches and deletes nothing.
 *
 * Never an active run: the status is checked on the row as locked. A run that `retry()` makes
 * active again while this runs is either locked here first (the retry then finds no run) or
 * locked by the retry, and skipped (`SKIP LOCKED`): it is not ended any more when the retry
 * commits. A run ended at `updated_at`: an ended run is never updated again.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function pruneRuns(db: Kysely<any>, tables: Tables, query: PruneRunsQuery): Promise<number> {
  // The status as literals, and `created_at` (a run ends after it began): the planner then uses
  // the partial index runs_ended_idx (migration 0005), so a batch scans ended runs created
  // before the cut — not every active run — however big the table is.
  const status = query.status === undefined ? sql`status IN ('completed', 'failed', 'cancelled')` : sql`status = ${sql.lit(endedStatus(query.status))}`
  const filters = [status, sql`created_at < ${query.endedBefore}`, sql`updated_at < ${query.endedBefore}`]
  if (query.workflowName !== undefined) filters.push(sql`workflow_name = ${query.workflowName}`)
  const where = sql.join(filters, sql` AND `)
  if (query.dryRun === true) {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${tables.runs} WHERE ${where}`.execute(db)
    return Number(rows[0]?.n ?? 0)
  }
  const { rows } = await sql<{ n: number }>`
    WITH pruned AS (
      DELETE FROM ${tables.runs} WHERE id IN (
        SELECT id FROM ${tables.runs} WHERE ${where}
        LIMIT ${query.limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM pruned
  `.execute(db)
  return Number(rows[0]?.n ?? 0)
}

/** `status` checked against the three ended ones: it goes into the SQL as a literal. */
function endedStatus(status: string): string {
  if (status !== 'completed' && status !== 'failed' && status !== 'cancelled') {
    throw new DurableError('INVALID_INPUT', `pruneRuns status must be completed, failed or cancelled, got ${JSON.stringify(status)}`)
  }
  return status
}
