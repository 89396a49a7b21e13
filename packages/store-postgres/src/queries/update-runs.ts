import { storedState, type NewJournalEntry, type RunUpdate } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import { PREPARED } from '../prepared-statements.js'
import type { Tables } from '../rows.js'

/**
 * Applies fenced updates to many runs, and appends their journal entries, in ONE statement: the
 * group commit of a worker's step commits (one WAL flush for all of them).
 *
 * The batch travels as two JSON parameters (runs, entries), unpacked with `jsonb_to_recordset`:
 * one statement text whatever the batch size, and the same on `pg` and PGlite.
 *
 * Each run is fenced on its own row — `lease_owner = owner` in the UPDATE's WHERE: the UPDATE
 * takes the row lock itself, and under READ COMMITTED re-checks the condition on the newest row
 * version after waiting for that lock, so a run whose lease was taken over updates nothing and
 * journals nothing, while the others commit. Journal rows are inserted from the UPDATE's
 * RETURNING: no lease, no row; and their `seq` is the `next_seq` the same UPDATE incremented, so
 * a run's sequence has no gaps and no duplicates.
 *
 * A batch holds at most one update per run, and never a run together with the parent its end
 * wakes (the same row would be updated twice in one statement): the caller sees to both.
 *
 * Returns, in order, whether each update held its lease.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function updateRuns(db: Kysely<any>, tables: Tables, updates: readonly RunUpdate[]): Promise<boolean[]> {
  if (updates.length === 0) return []
  const entries: string[] = []
  const runs = updates.map((update) => {
    const journal = journalOf(update)
    journal.forEach((entry, i) => entries.push(entryJson(update.runId, i + 1, entry)))
    return {
      id: update.runId,
      owner: update.owner,
      state: storedState(update.state),
      status: update.state.status,
      error: update.state.error,
      due_at: update.dueAt?.toISOString() ?? null,
      // While the worker keeps the lease the run is due (for whoever takes over if the lease
      // lapses): a due time already past is kept as it is, so the row's indexed columns do not
      // change between steps and Postgres can update it in place (HOT), without index entries.
      keep_past_due: update.leaseUntil !== null && update.dueAt !== null && update.dueAt.getTime() <= update.now.getTime(),
      lease_until: update.leaseUntil?.toISOString() ?? null,
      now: update.now.toISOString(),
      n: journal.length,
      wake: update.wake ?? null,
    }
  })
  const { rows } = await sql<{ id: string }>`${sql.raw(PREPARED)}
    WITH i AS (
      SELECT * FROM jsonb_to_recordset(cast(${JSON.stringify(runs)} AS jsonb)) AS i (
        id text, owner text, state jsonb, status text, error jsonb, due_at timestamptz, keep_past_due boolean,
        lease_until timestamptz, now timestamptz, n integer, wake text)
    ), u AS (
      UPDATE ${tables.runs} AS r SET
        state = i.state,
        status = i.status,
        error = i.error,
        due_at = CASE WHEN i.keep_past_due AND r.due_at IS NOT NULL AND r.due_at <= i.due_at THEN r.due_at ELSE i.due_at END,
        updated_at = i.now,
        lease_owner = CASE WHEN i.lease_until IS NULL THEN NULL ELSE r.lease_owner END,
        lease_expires_at = i.lease_until,
        next_seq = r.next_seq + i.n
      FROM i
      -- The id list lets the planner find the rows by primary key: it estimates any
      -- jsonb_to_recordset at 100 rows, and would otherwise hash-join a scan of the whole table.
      WHERE r.id = ANY(cast(${updates.map((update) => update.runId)} AS text[])) AND r.id = i.id AND r.lease_owner = i.owner
      RETURNING r.id, r.next_seq, i.n, i.now, i.wake
    ), woken AS (
      -- A child that ends makes its waiting parent due in the same statement: no crash can come
      -- between the two, and the reconciler dispatches the parent if the job is lost.
      UPDATE ${tables.runs} AS p SET due_at = u.now
      FROM u
      WHERE p.id = u.wake AND p.status = 'waiting'
      RETURNING p.id
    ), journaled AS (
      INSERT INTO ${tables.journal} (run_id, seq, step_key, step_name, kind, attempt, result, error, created_at)
      SELECT u.id, u.next_seq - u.n + e.n, e.step_key, e.step_name, e.kind, e.attempt, e.result -> 0, e.error, coalesce(e.created_at, u.now)
      FROM jsonb_to_recordset(cast(${`[${entries.join(',')}]`} AS jsonb)) AS e (
        run_id text, n integer, step_key text, step_name text, kind text, attempt integer, result jsonb, error jsonb, created_at timestamptz)
      JOIN u ON u.id = e.run_id
      RETURNING 1
    )
    SELECT id FROM u
  `.execute(db)
  const held = new Set(rows.map((row) => row.id))
  return updates.map((update) => held.has(update.runId))
}

function journalOf(update: RunUpdate): readonly NewJournalEntry[] {
  if (update.journal === undefined) return []
  return Array.isArray(update.journal) ? update.journal : [update.journal as NewJournalEntry]
}

/**
 * One journal entry as JSON. The result is already JSON text: it goes in as it is, wrapped in an
 * array so that a JSON `null` result stays distinct from no result (SQL NULL).
 */
function entryJson(runId: string, n: number, entry: NewJournalEntry): string {
  const fields = JSON.stringify({
    run_id: runId,
    n,
    step_key: entry.stepKey,
    step_name: entry.stepName,
    kind: entry.kind,
    attempt: entry.attempt,
    error: entry.error ?? null,
    created_at: entry.createdAt?.toISOString() ?? null,
  })
  return entry.resultJson === undefined ? fields : `${fields.slice(0, -1)},"result":[${entry.resultJson}]}`
}
