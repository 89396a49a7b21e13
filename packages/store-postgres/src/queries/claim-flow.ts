import { isTerminal, type ClaimResult, type RunStatus } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import { runColumns, toDateOrNull, toRunRecord, type RunRow, type Tables } from '../rows.js'
import type { Claim } from './claim-run.js'
import { betterRun, leaseFree } from './claim-run.js'
import { definitionMatch } from './definition-match.js'
import { leaseHolderDead } from './dead-lease-holder.js'

/** The keys of the run to claim, as the first statement of the claim read them. @internal */
export interface FlowTarget {
  readonly workflowName: string
  readonly concurrencyKey: string | null
  readonly rateKey: string | null
}

/** The seed of the flow keys' advisory locks, apart from the liveness locks' (`LIVENESS_SEED`). */
const FLOW_LOCK_SEED = '2718281828'

type DecideRow = Partial<RunRow> & {
  readonly t_id: string
  readonly t_status: string
  readonly t_due_at: Date | string | null
  readonly t_lease_owner: string | null
  readonly t_concurrency_key: string | null
  readonly t_concurrency_limit: number | string | null
  readonly t_rate_key: string | null
  readonly t_rate_limit: number | string | null
  readonly t_rate_period_ms: number | string | null
  readonly claimable: boolean
  readonly better_id: string | null
  readonly held: number | string
  readonly begun: number | string
  readonly nth_latest_begin: Date | string | null
}

/**
 * Claims a run that has a concurrency key, or a rate key and has not begun yet, in a
 * transaction that first takes a transaction-level advisory lock per key: claimers of one key
 * go one at a time, claimers of other keys do not wait. The counts are read by the statement
 * after the lock — under READ COMMITTED it sees everything the previous holder committed, which
 * one statement that took the lock and counted at once would not (its snapshot predates the
 * wait).
 *
 * - Concurrency: the run's key has `limit` runs other than this one whose lease is live (not
 *   expired, holder not dead — a sleeping or waiting run has none): refuse `limited` and mark the
 *   run held back (`held_back_at`), its due time kept so that it goes in turn. The run that gives
 *   a slot back wakes those held back (`findDueRuns({ heldBackOn })`); the reconciler retries
 *   them after `FLOW_RECHECK_MS` in case that wake-up is lost (a crashed worker's slots free
 *   themselves this way: its leases stop counting as soon as it is seen dead).
 * - Rate: at its first claim, `limit` runs of the key began in the last `period` (a sliding
 *   window over `begun_at`): refuse `limited` and reserve the next free slot — `limit` begins
 *   after the latest ones, reserved slots included — as both `begun_at` and `due_at`, so the run
 *   waits for its turn without being tried in between. Counting reserved slots as begun is
 *   conservative: it never lets more than `limit` begin in any window. A run claimed late,
 *   past its slot, is counted at its real begin, and a run after it may wait one more round.
 *   Begins later than `now` (another claim's, whose `now` was later but which took the lock
 *   first) count too, up to a period ahead: every window that holds `now` lies within them.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function claimUnderFlowLocks(db: Kysely<any>, tables: Tables, runId: string, claim: Claim, target: FlowTarget): Promise<ClaimResult> {
  return db.transaction().execute(async (tx) => {
    const locks = [
      ...(target.concurrencyKey !== null ? [`concurrency\n${target.workflowName}\n${target.concurrencyKey}`] : []),
      ...(target.rateKey !== null ? [`rate\n${target.workflowName}\n${target.rateKey}`] : []),
    ]
    // Always concurrency before rate: two claimers never wait on each other's second lock.
    await sql`SELECT set_config('synchronous_commit', 'off', true), ${sql.join(locks.map((key) => sql`pg_advisory_xact_lock(hashtextextended(${key}, ${sql.raw(FLOW_LOCK_SEED)}))`))}`.execute(
      tx,
    )
    const { rows } = await sql<DecideRow>`
      WITH target AS (
        SELECT t.* FROM ${tables.runs} AS t WHERE t.id = ${runId} FOR UPDATE
      ), better AS (
        ${betterRun(tables, claim)}
      )
      SELECT t.id AS t_id, t.status AS t_status, t.due_at AS t_due_at, t.lease_owner AS t_lease_owner,
        t.concurrency_key AS t_concurrency_key, t.concurrency_limit AS t_concurrency_limit,
        t.rate_key AS t_rate_key, t.rate_limit AS t_rate_limit, t.rate_period_ms AS t_rate_period_ms,
        (t.status NOT IN ('completed', 'failed', 'cancelled') AND ${definitionMatch('t', claim.definitions)} AND t.due_at <= ${claim.now}
          AND ${leaseFree('t', claim)}) AS claimable,
        (SELECT id FROM better) AS better_id,
        (SELECT count(*) FROM ${tables.runs} AS h
          WHERE h.workflow_name = t.workflow_name AND h.concurrency_key = t.concurrency_key
            AND h.status NOT IN ('completed', 'failed', 'cancelled') AND h.id <> t.id
            AND h.lease_owner IS NOT NULL AND h.lease_expires_at > ${claim.now}
            AND NOT ${leaseHolderDead(sql`h.lease_owner`, claim.owner)}) AS held,
        -- Begins in the last period; and begins AFTER claim.now, up to a period after, of runs
        -- that did begin (no longer pending: not a slot reserved for later). Claims do not take
        -- this lock in the order of their now: a claim that read the clock first may get the lock
        -- second (and a worker's clock lags the database's a little), and the begin it would miss
        -- falls in one period with its own.
        (SELECT count(*) FROM ${tables.runs} AS b
          WHERE b.workflow_name = t.workflow_name AND b.rate_key = t.rate_key AND b.id <> t.id
            AND b.begun_at > cast(${claim.now} AS timestamptz) - t.rate_period_ms * interval '1 millisecond'
            AND (b.begun_at <= ${claim.now}
              OR (b.status <> 'pending' AND b.begun_at < cast(${claim.now} AS timestamptz) + t.rate_period_ms * interval '1 millisecond'))) AS begun,
        (SELECT b.begun_at FROM ${tables.runs} AS b
          WHERE b.workflow_name = t.workflow_name AND b.rate_key = t.rate_key AND b.id <> t.id AND b.begun_at IS NOT NULL
          ORDER BY b.begun_at DESC OFFSET greatest(coalesce(t.rate_limit, 1) - 1, 0) LIMIT 1) AS nth_latest_begin
      FROM target AS t
    `.execute(tx)
    const row = rows[0]
    if (row === undefined) return { claimed: false, reason: 'missing', dueAt: null }
    const dueAt = toDateOrNull(row.t_due_at)
    // The keys changed since the first statement (a debounced start gave the run new ones): the
    // locks held are the wrong ones. Rare; the worker tries again.
    if (row.t_concurrency_key !== target.concurrencyKey || row.t_rate_key !== target.rateKey) return { claimed: false, reason: 'limited', dueAt: claim.now }
    if (!row.claimable) {
      // Changed since the first statement: ended, parked, or taken by another worker.
      if (isTerminal(row.t_status as RunStatus)) return { claimed: false, reason: 'ended', dueAt }
      return { claimed: false, reason: dueAt === null || dueAt > claim.now ? 'notDue' : 'leased', dueAt }
    }
    if (row.better_id !== null) return { claimed: false, reason: 'outranked', dueAt, outrankedBy: row.better_id }
    if (row.t_concurrency_key !== null && Number(row.held) >= Number(row.t_concurrency_limit)) {
      await sql`UPDATE ${tables.runs} SET held_back_at = ${claim.now} WHERE id = ${runId}`.execute(tx)
      return { claimed: false, reason: 'limited', dueAt: null }
    }
    const rateApplies = row.t_rate_key !== null && row.t_status === 'pending'
    if (rateApplies && Number(row.begun) >= Number(row.t_rate_limit)) {
      const nth = toDateOrNull(row.nth_latest_begin)
      const slot = new Date(Math.max(claim.now.getTime() + 1, (nth ?? claim.now).getTime() + Number(row.t_rate_period_ms)))
      await sql`UPDATE ${tables.runs} SET due_at = ${slot}, begun_at = ${slot}, held_back_at = NULL WHERE id = ${runId}`.execute(tx)
      return { claimed: false, reason: 'limited', dueAt: slot }
    }
    const { rows: claimed } = await sql<RunRow>`
      UPDATE ${tables.runs} AS r
      SET lease_owner = ${claim.owner}, lease_expires_at = ${claim.leaseUntil}, held_back_at = NULL,
        status = CASE WHEN r.status = 'pending' THEN 'running' ELSE r.status END,
        begun_at = CASE WHEN ${sql.lit(rateApplies)} THEN cast(${claim.now} AS timestamptz) ELSE r.begun_at END
      WHERE r.id = ${runId}
      RETURNING ${runColumns('r')}
    `.execute(tx)
    return { claimed: true, run: toRunRecord(claimed[0]!), previousLeaseExpired: row.t_lease_owner !== null }
  })
}
