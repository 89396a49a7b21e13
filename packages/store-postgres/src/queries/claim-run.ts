import { isTerminal, type ClaimResult, type DefinitionKey, type RunStatus } from '@durable/core'
import { sql, type Kysely, type RawBuilder } from 'kysely'
import { PREPARED } from '../prepared-statements.js'
import { definitionMatch } from './definition-match.js'
import { runColumns, toDateOrNull, toRunRecord, type RunRow, type Tables } from '../rows.js'
import { leaseHolderDead } from './dead-lease-holder.js'
import { claimUnderFlowLocks, type FlowTarget } from './claim-flow.js'

/** What `claimRun` asks for. @internal */
export interface Claim {
  readonly owner: string
  readonly now: Date
  readonly leaseUntil: Date
  readonly definitions: readonly DefinitionKey[]
}

type ClaimRow = Partial<RunRow> & {
  readonly target_known: boolean
  readonly target_status: string
  readonly target_due_at: Date | string | null
  readonly target_lease_owner: string | null
  readonly target_lease_free: boolean
  readonly target_workflow_name: string
  readonly target_concurrency_key: string | null
  readonly target_rate_key: string | null
  readonly target_flow: boolean
  readonly better_id: string | null
}

/**
 * Takes the lease of a run in one round trip — or, for a run under flow control, hands it to
 * {@link claimUnderFlowLocks}.
 *
 * `target` locks the row (`FOR UPDATE`); `claimed` sets the lease only when the locked row is
 * claimable. Two workers claiming at once queue on the row lock: under READ COMMITTED the second
 * one's `FOR UPDATE` returns the row as the first one committed it — now leased — so exactly
 * one of them wins. The final SELECT returns the locked row either way, so a refusal says why.
 *
 * The lease is free when there is none, when it expired (`now` is the database's time, as the
 * runtime reads it), or when its holder is a worker that is dead (see `leaseHolderDead`): that
 * test runs in `lease`, on the row as `target` locked it, once.
 *
 * Priority: `better` looks for a due, free run of higher priority that this worker can drive;
 * if there is one, the claim is refused (`outranked`) and the worker claims that one instead.
 * It is an index range on `runs_priority_due_idx` (priority above the target's): empty, a few
 * page reads, while every run has the default priority; otherwise it reads the active runs of
 * higher priority until it meets a due, free one. Runs held back by their concurrency key are
 * not "better": they wait for a slot, not for a worker.
 *
 * The claim does not wait for its WAL flush (`synchronous_commit` off for this statement only):
 * a claim lost in a database crash only means the lease is free again, and the claimant's next
 * commit — fenced, and durable — is refused. Every step commit flushes the WAL up to itself, so a
 * claim is durable before anything that depends on it is.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function claimRun(db: Kysely<any>, tables: Tables, runId: string, claim: Claim): Promise<ClaimResult> {
  const { rows } = await sql<ClaimRow>`${sql.raw(PREPARED)}
    WITH target AS (
      SELECT t.id, t.status, t.due_at, t.lease_owner, t.lease_expires_at, t.priority, t.workflow_name, t.concurrency_key, t.rate_key,
        ${definitionMatch('t', claim.definitions)} AS known,
        ${underFlowControl('t')} AS flow
      FROM ${tables.runs} AS t, (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
      WHERE t.id = ${runId}
      FOR UPDATE OF t
    ), lease AS (
      SELECT ${leaseFree('t', claim)} AS free
      FROM target AS t
    ), better AS (
      ${betterRun(tables, claim)}
    ), claimed AS (
      UPDATE ${tables.runs} AS r
      SET lease_owner = ${claim.owner}, lease_expires_at = ${claim.leaseUntil},
        -- A claimed run is running. Its state catches up at the first commit, which saves
        -- a write per run; a crash before it leaves the state as it was, which is right.
        status = CASE WHEN r.status = 'pending' THEN 'running' ELSE r.status END
      FROM target AS t, lease AS l
      WHERE r.id = t.id
        AND t.status NOT IN ('completed', 'failed', 'cancelled')
        AND t.known
        AND l.free
        AND t.due_at <= ${claim.now}
        AND NOT EXISTS (SELECT 1 FROM better)
        AND NOT t.flow
      RETURNING ${runColumns('r')}
    )
    SELECT c.*,
      t.known AS target_known, t.status AS target_status, t.due_at AS target_due_at,
      t.lease_owner AS target_lease_owner, l.free AS target_lease_free, t.workflow_name AS target_workflow_name,
      t.concurrency_key AS target_concurrency_key, t.rate_key AS target_rate_key, t.flow AS target_flow,
      (SELECT id FROM better) AS better_id
    FROM target AS t CROSS JOIN lease AS l LEFT JOIN claimed AS c ON c.id = t.id
  `.execute(db)
  const row = rows[0]
  if (!row) return { claimed: false, reason: 'missing', dueAt: null }
  if (row.id != null) {
    return { claimed: true, run: toRunRecord(row as RunRow), previousLeaseExpired: row.target_lease_owner !== null }
  }
  const dueAt = toDateOrNull(row.target_due_at)
  const reason = refusal(row, claim.now)
  if (reason === 'outranked') return { claimed: false, reason, dueAt, outrankedBy: row.better_id! }
  if (reason !== 'flow') return { claimed: false, reason, dueAt }
  const target: FlowTarget = { workflowName: row.target_workflow_name, concurrencyKey: row.target_concurrency_key, rateKey: row.target_rate_key }
  return claimUnderFlowLocks(db, tables, runId, claim, target)
}

/**
 * The best due, free run of `claim.definitions` with a higher priority than the run `target`
 * (a CTE of the calling statement), if any. The WHERE repeats the predicate of the partial index
 * `runs_priority_due_idx` so that the planner uses it.
 *
 * @internal
 */
export function betterRun(tables: Tables, claim: Claim) {
  // The target's priority as a scalar subquery (an InitPlan), not a join, and a one-time test
  // first: is any active run's priority above it? While none is, the probe reads one index page.
  return sql`SELECT b.id FROM ${tables.runs} AS b
      WHERE ${topActivePriority(tables)} > (SELECT t.priority FROM target AS t)
        AND b.status NOT IN ('completed', 'failed', 'cancelled') AND b.due_at IS NOT NULL
        AND b.priority > (SELECT t.priority FROM target AS t) AND b.due_at <= ${claim.now} AND b.held_back_at IS NULL
        AND ${leaseFree('b', claim)}
        AND ${definitionMatch('b', claim.definitions)}
      ORDER BY b.priority DESC, b.due_at, b.id
      LIMIT 1`
}

/**
 * True when the run row `alias` has no live lease: none, expired at `claim.now`, or held by a
 * worker that is dead (`leaseHolderDead`, tried only when the cheap tests fail — a CASE fixes
 * the order). The one test of every claim.
 *
 * @internal
 */
export function leaseFree(alias: string, claim: Pick<Claim, 'now' | 'owner'>): RawBuilder<unknown> {
  const run = sql.raw(alias)
  return sql`(CASE WHEN ${run}.lease_owner IS NULL OR ${run}.lease_expires_at <= ${claim.now} THEN true
    ELSE ${leaseHolderDead(sql`${run}.lease_owner`, claim.owner)} END)`
}

/** True when the run row `alias` is claimed under flow control (`claimUnderFlowLocks`). @internal */
export function underFlowControl(alias: string): RawBuilder<unknown> {
  const run = sql.raw(alias)
  return sql`(${run}.concurrency_key IS NOT NULL OR (${run}.rate_key IS NOT NULL AND ${run}.status = 'pending'))`
}

/**
 * The highest priority of any active run: the first entry of `runs_priority_due_idx` (an
 * ORDER BY … LIMIT 1 the planner always takes from it), one index page — even before ANALYZE
 * has seen the table grow, when the planner would rather scan the whole table for a range.
 *
 * @internal
 */
export function topActivePriority(tables: Tables): RawBuilder<unknown> {
  return sql`(SELECT top.priority FROM ${tables.runs} AS top
    WHERE top.status NOT IN ('completed', 'failed', 'cancelled') AND top.due_at IS NOT NULL
    ORDER BY top.priority DESC LIMIT 1)`
}

/** Why the UPDATE above did not match: its conditions, checked in the same order. */
function refusal(row: ClaimRow, now: Date): 'ended' | 'unregistered' | 'leased' | 'notDue' | 'outranked' | 'flow' {
  if (isTerminal(row.target_status as RunStatus)) return 'ended'
  if (!row.target_known) return 'unregistered'
  if (!row.target_lease_free) return 'leased'
  const dueAt = toDateOrNull(row.target_due_at)
  if (dueAt === null || dueAt > now) return 'notDue'
  if (row.better_id !== null) return 'outranked'
  if (row.target_flow) return 'flow'
  return 'notDue'
}
