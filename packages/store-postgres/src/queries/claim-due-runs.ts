import { RESULT_KINDS, type BulkClaim, type ClaimedRun, type JournalKind, type Json, type ResultEntry } from '@durable/core'
import { sql, type Kysely, type RawBuilder } from 'kysely'
import { PREPARED } from '../prepared-statements.js'
import { runColumns, toRunRecord, type RunRow, type Tables } from '../rows.js'
import { definitionMatch } from './definition-match.js'
import { leaseHolderDead } from './dead-lease-holder.js'

type ClaimedRow = RunRow & {
  readonly previous_owner: string | null
  /** `[step_key, step_name, kind, result]` per result entry, in `seq` order, as JSON text. */
  readonly results: string
  /** The statement's snapshot holds every journal entry the claimed row counts (`next_seq`). */
  readonly journal_seen: boolean
}

/**
 * Takes the leases of up to `claim.limit` due runs in one statement: the queue pattern of
 * `ORDER BY … LIMIT … FOR UPDATE SKIP LOCKED` on the runs table itself.
 *
 * `picked` walks `runs_priority_due_idx` (its WHERE repeats the index's predicate) in the order
 * of `claimRun`'s priority rule, locking each row that matches and skipping the rows another
 * claimer or committer has locked. A row updated and committed since the statement's snapshot is
 * re-checked on its newest version before it is locked (READ COMMITTED's re-check of `FOR
 * UPDATE`), so a run leased meanwhile is not taken: two bulk claimers, or a bulk claimer and
 * `claimRun`, never both take a run. The lease is free under `claimRun`'s rule: none, expired on
 * the database's clock (`now`), or held by a worker seen dead (`leaseHolderDead`).
 *
 * Runs under flow control are left out: a concurrency key must be counted under its advisory
 * lock, and a rate key's first claim reserves slots (see `claimUnderFlowLocks`); they go through
 * `claimRun`, woken by their jobs. Taking runs in priority order needs no "outranked" probe: the
 * due run of highest priority is the first one taken.
 *
 * Each claimed run comes with its result entries, read in the same statement. They are read in
 * the statement's snapshot, which misses a commit that landed between the snapshot and the
 * row's lock (a run released and made due at that instant): `journal_seen` compares the entries
 * seen with the row's `next_seq`, and the caller reads the journal again for such a run.
 *
 * With queue-postgres (see `PostgresStore.deleteJobsOnClaim`), the statement also deletes the
 * due jobs of the runs it takes: the job and the run are claimed in one round trip.
 *
 * Like `claimRun`, the statement does not wait for its WAL flush: a claim lost in a crash only
 * frees the lease again, and the claimant's fenced commits are refused.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function claimDueRuns(db: Kysely<any>, tables: Tables, claim: BulkClaim, jobs?: RawBuilder<unknown>): Promise<Array<ClaimedRun & { readonly journalSeen: boolean }>> {
  // queue-postgres's jobs of the claimed runs, due by now: consumed by this claim. A job row a
  // consumer is deleting at this moment is skipped, not waited for (its claimRun is refused).
  const jobsTaken =
    jobs === undefined
      ? sql``
      : sql`, jobs_taken AS (
      DELETE FROM ${jobs} WHERE id IN (
        SELECT j.id FROM ${jobs} AS j JOIN claimed AS c ON j.run_id = c.id WHERE j.run_at <= ${claim.now}
        FOR UPDATE OF j SKIP LOCKED
      )
    )`
  const { rows } = await sql<ClaimedRow>`${sql.raw(PREPARED)}
    WITH picked AS (
      SELECT p.id, p.lease_owner AS previous_owner
      FROM ${tables.runs} AS p, (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
      WHERE p.status NOT IN ('completed', 'failed', 'cancelled') AND p.due_at IS NOT NULL
        AND p.due_at <= ${claim.now}
        AND p.concurrency_key IS NULL AND NOT (p.rate_key IS NOT NULL AND p.status = 'pending')
        AND (p.lease_owner IS NULL OR p.lease_expires_at <= ${claim.now} OR ${leaseHolderDead(sql`p.lease_owner`, claim.owner)})
        AND ${definitionMatch('p', claim.definitions)}
      ORDER BY p.priority DESC, p.due_at, p.id
      LIMIT ${claim.limit}
      FOR UPDATE OF p SKIP LOCKED
    ), claimed AS (
      UPDATE ${tables.runs} AS r
      SET lease_owner = ${claim.owner}, lease_expires_at = ${claim.leaseUntil},
        -- As in claimRun: the state catches up at the first commit.
        status = CASE WHEN r.status = 'pending' THEN 'running' ELSE r.status END
      FROM picked AS p
      WHERE r.id = p.id
      RETURNING ${runColumns('r')}, r.next_seq, p.previous_owner
    )${jobsTaken}
    SELECT c.*,
      coalesce((
        SELECT json_agg(json_build_array(j.step_key, j.step_name, j.kind, j.result) ORDER BY j.seq)
        FROM ${tables.journal} AS j
        WHERE j.run_id = c.id AND j.kind = ANY(cast(${[...RESULT_KINDS]} AS text[]))
      ), '[]')::text AS results,
      (c.next_seq = 0 OR EXISTS (SELECT 1 FROM ${tables.journal} AS s WHERE s.run_id = c.id AND s.seq = c.next_seq)) AS journal_seen
    FROM claimed AS c
    ORDER BY c.priority DESC, c.due_at, c.id
  `.execute(db)
  return rows.map((row) => ({
    run: toRunRecord(row),
    previousLeaseExpired: row.previous_owner !== null,
    results: (JSON.parse(row.results) as Array<[string, string, JournalKind, Json]>).map(([stepKey, stepName, kind, result]): ResultEntry => ({
      stepKey,
      stepName,
      kind,
      result: result ?? null,
    })),
    journalSeen: row.journal_seen,
  }))
}
