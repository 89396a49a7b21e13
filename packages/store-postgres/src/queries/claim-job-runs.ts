import type { RunRecord } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import { PREPARED } from '../prepared-statements.js'
import { runColumns, toRunRecord, type RunRow, type Tables } from '../rows.js'
import { leaseFree, topActivePriority, underFlowControl, type Claim } from './claim-run.js'
import { definitionMatch } from './definition-match.js'

/** A job taken by {@link claimJobRuns}, with its run when the same statement claimed it. @internal */
export interface TakenJob {
  readonly runId: string
  readonly runAt: Date
  readonly claimed?: { readonly run: RunRecord; readonly previousLeaseExpired: boolean }
}

type TakenRow = Partial<RunRow> & { readonly job_run_id: string; readonly job_run_at: Date | string; readonly previous_owner: string | null }

/**
 * Takes up to `limit` due jobs of `jobs` (queue-postgres's table, deleted on take, oldest first,
 * `SKIP LOCKED`) and, in the same statement, claims the run of each one that a plain claim
 * would take at once: active, of a definition in `claim.definitions`, due, its lease free, under
 * no flow control, and not outranked by any active run of a higher priority. A job whose run is
 * not claimed here comes back without it, and the worker claims it alone (`claimRun`), which
 * says why — a changed definition, a limit, a better run — and does what the reason asks. Runs in
 * `claim.except` are the ones the worker drives already: a job for one of them (a cancel, which
 * revoked the lease) must reach it bare, for the drive under way to see the change first.
 *
 * One round trip instead of two per run while a worker drains a backlog. The runs are locked
 * `SKIP LOCKED` too: a run another session holds (its worker committing, or a claim racing) is
 * left to the single claim, which waits for the row, and two of these statements never wait on
 * each other's runs (no lock order to get wrong). The priority test is the one-page probe of
 * `betterRun`'s first line, for all the statement's runs at once: while every active run has the
 * default priority it reads one index page.
 *
 * No WAL flush wait, as for the single claim and the job take (see `claimRun`).
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function claimJobRuns(db: Kysely<any>, tables: Tables, jobs: string, limit: number, claim: Claim & { readonly except: readonly string[] }): Promise<TakenJob[]> {
  const jobsTable = sql.table(jobs)
  const { rows } = await sql<TakenRow>`${sql.raw(PREPARED)}
    WITH picked AS (
      SELECT j.id, j.run_id FROM ${jobsTable} AS j, (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
      WHERE j.run_at <= now()
      ORDER BY j.run_at
      LIMIT ${limit}
      FOR UPDATE OF j SKIP LOCKED
    ), taken AS (
      DELETE FROM ${jobsTable} AS d WHERE d.id IN (SELECT id FROM picked) RETURNING d.run_id, d.run_at
    ), target AS (
      SELECT t.id, t.lease_owner FROM ${tables.runs} AS t
      WHERE t.id IN (SELECT run_id FROM picked) AND NOT t.id = ANY(cast(${claim.except} AS text[]))
        AND t.status NOT IN ('completed', 'failed', 'cancelled')
        AND t.due_at <= ${claim.now}
        AND NOT ${underFlowControl('t')}
        AND t.priority >= coalesce(${topActivePriority(tables)}, t.priority)
        AND ${definitionMatch('t', claim.definitions)}
        AND ${leaseFree('t', claim)}
      FOR UPDATE OF t SKIP LOCKED
    ), claimed AS (
      UPDATE ${tables.runs} AS r
      SET lease_owner = ${claim.owner}, lease_expires_at = ${claim.leaseUntil},
        status = CASE WHEN r.status = 'pending' THEN 'running' ELSE r.status END
      FROM target AS t
      WHERE r.id = t.id
      RETURNING ${runColumns('r')}, t.lease_owner AS previous_owner
    )
    SELECT k.run_id AS job_run_id, k.run_at AS job_run_at, c.*
    FROM taken AS k LEFT JOIN claimed AS c ON c.id = k.run_id
    ORDER BY k.run_at
  `.execute(db)
  return rows.map((row): TakenJob => {
    const job = { runId: row.job_run_id, runAt: new Date(row.job_run_at) }
    if (row.id == null) return job
    return { ...job, claimed: { run: toRunRecord(row as RunRow), previousLeaseExpired: row.previous_owner !== null } }
  })
}
