/**
 * The soak's figures: what happened and how fast the system recovered. Reported, never asserted:
 * timings depend on the machine.
 */
import type pg from 'pg'
import { PLAIN_STEPS } from './chaos-workflow.js'
import type { FaultEvent, FaultKind } from './faults.js'

export type Figures = Array<[label: string, value: string]>

export interface SoakFacts {
  readonly events: readonly FaultEvent[]
  readonly startRetries: number
  readonly logLines: readonly string[]
  readonly wallMs: number
}

/** Counts and recovery times, read from the store's tables and the traces. */
export async function measure(db: pg.Pool, facts: SoakFacts): Promise<Figures> {
  const one = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await db.query<R>(text, values)).rows[0]!
  const runs = await one<{ total: number; completed: number; failed: number; other: number }>(`SELECT count(*)::int AS total,
      count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status = 'failed')::int AS failed,
      count(*) FILTER (WHERE status NOT IN ('completed', 'failed'))::int AS other FROM durable.runs`)
  // An execution whose outcome the journal does not hold (beyond one per journaled outcome of
  // its attempt) was cut short by a kill, a restart or a lost lease, and ran again.
  const plain = await one<{ total: number; rerun: number }>(
    `SELECT coalesce(sum(n), 0)::int AS total, coalesce(sum(greatest(0, n - journaled)), 0)::int AS rerun FROM (
      SELECT e.run_id, e.step, e.attempt, count(*) AS n,
        (SELECT count(*) FROM durable.journal j WHERE j.run_id = e.run_id AND j.step_key = e.step AND j.attempt = e.attempt
          AND (j.kind = 'step_completed' OR (j.kind = 'step_failed' AND coalesce(j.error->>'code', '') <> 'LEASE_EXPIRED'))) AS journaled
      FROM chaos.executions e WHERE e.step = ANY($1) GROUP BY e.run_id, e.step, e.attempt) AS per_attempt`,
    [PLAIN_STEPS],
  )
  const compensations = await one<{ total: number; rerun: number }>(
    `SELECT coalesce(sum(n), 0)::int AS total, coalesce(sum(greatest(0, n - journaled)), 0)::int AS rerun FROM (
      SELECT c.run_id, c.step, c.attempt, count(*) AS n,
        (SELECT count(*) FROM durable.journal j WHERE j.run_id = c.run_id AND j.step_key = c.step AND j.attempt = c.attempt AND j.kind = 'compensated') AS journaled
      FROM chaos.compensations c GROUP BY c.run_id, c.step, c.attempt) AS per_attempt`,
  )
  const ledger = await one<{ rows: number; journaled: number }>(`SELECT (SELECT count(*)::int FROM chaos.ledger) AS rows,
      (SELECT count(*)::int FROM durable.journal WHERE step_key = 'book' AND kind = 'step_completed') AS journaled`)
  const takeovers = await one<{ n: number }>(`SELECT count(*)::int AS n FROM durable.journal WHERE error->>'code' = 'LEASE_EXPIRED'`)
  const of = (kind: FaultKind) => facts.events.filter((e) => e.kind === kind)
  const warnings = facts.logLines.filter((line) => line.includes('"level":"warn"')).length
  const errors = facts.logLines.filter((line) => line.includes('"level":"error"')).length
  const downMs = of('restart').reduce((sum, e) => sum + (e.downMs ?? 0), 0)

  return [
    ['runs started', String(runs.total)],
    ['  completed / failed by design / not ended', `${runs.completed} / ${runs.failed} / ${runs.other}`],
    ['workers SIGKILLed (and replaced)', String(of('kill').length)],
    ['PostgreSQL restarts (total downtime)', `${of('restart').length} (${seconds(downMs)})`],
    ['connection drops (backends terminated)', `${of('drop').length} (${of('drop').reduce((sum, e) => sum + (e.terminated ?? 0), 0)})`],
    [
      'failovers (primary killed → standby promoted)',
      `${of('failover').length}${
        of('failover').length > 0
          ? ` (${of('failover')
              .map((e) => seconds(e.downMs ?? 0))
              .join(', ')})`
          : ''
      }`,
    ],
    ['start() refused with STORE_UNAVAILABLE, then retried', String(facts.startRetries)],
    ['plain-step executions (re-runs: outcome lost to a fault)', `${plain.total} (${plain.rerun})`],
    ['compensator executions (re-runs)', `${compensations.total} (${compensations.rerun})`],
    ['transactional commits / journaled completions', `${ledger.rows} / ${ledger.journaled}`],
    ['attempts lost to an expired lease (LEASE_EXPIRED)', String(takeovers.n)],
    ['worker log lines: warnings / errors', `${warnings} / ${errors}`],
    ['recovery after a kill: median / max (kills holding runs)', await recovery(db, of('kill'))],
    ['recovery after a restart, in-flight runs: median / max', await recovery(db, of('restart'))],
    ['first step journaled after a restart: median / max', await firstProgress(db, of('restart'))],
    ['recovery after a connection drop: median / max', await recovery(db, of('drop'))],
    ['recovery after a failover, in-flight runs: median / max', await recovery(db, of('failover'))],
    [
      'failover stall: kill → first step journaled on the new primary',
      await firstProgress(
        db,
        of('failover').map((e) => ({ ...e, at: e.at + (e.downMs ?? 0) })),
        of('failover'),
      ),
    ],
    ['soak wall time', seconds(facts.wallMs)],
  ]
}

/**
 * Per fault: the time until the last of its in-flight runs journaled its next entry (a takeover,
 * a retry, a result). Faults without in-flight runs are left out.
 */
async function recovery(db: pg.Pool, events: readonly FaultEvent[]): Promise<string> {
  const times: number[] = []
  for (const event of events) {
    if (event.inFlight.length === 0) continue
    const { rows } = await db.query<{ first_ms: number }>(
      `SELECT (extract(epoch FROM min(created_at)) * 1000)::float8 AS first_ms FROM durable.journal
        WHERE run_id = ANY($1) AND created_at > to_timestamp($2::float8 / 1000) GROUP BY run_id`,
      [event.inFlight, event.at],
    )
    if (rows.length > 0) times.push(Math.max(...rows.map((row) => row.first_ms - event.at)))
  }
  return spread(times)
}

/**
 * Per restart: the time from the server accepting connections to the first journal entry after
 * it; measured from `since[i].at` instead when given (a failover: from the kill).
 */
async function firstProgress(db: pg.Pool, events: readonly FaultEvent[], since: readonly FaultEvent[] = events): Promise<string> {
  const times: number[] = []
  for (const [i, event] of events.entries()) {
    const { rows } = await db.query<{ first_ms: number | null }>(
      `SELECT (extract(epoch FROM min(created_at)) * 1000)::float8 AS first_ms FROM durable.journal WHERE created_at > to_timestamp($1::float8 / 1000)`,
      [event.at],
    )
    if (rows[0]?.first_ms != null) times.push(rows[0].first_ms - since[i]!.at)
  }
  return spread(times)
}

function spread(times: number[]): string {
  if (times.length === 0) return 'n/a'
  const sorted = [...times].sort((a, b) => a - b)
  const median = sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2
  return `${seconds(median)} / ${seconds(sorted.at(-1)!)} (n=${times.length})`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

/** The figures and the checks as a plain-text table. */
export function formatReport(figures: Figures, checks: ReadonlyArray<{ name: string; ok: boolean; detail: string }>): string {
  const width = Math.max(...figures.map(([label]) => label.length))
  const lines = ['', 'chaos soak — figures', ...figures.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`), '', 'chaos soak — invariants']
  for (const check of checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}${check.detail ? ` — ${check.detail}` : ''}`)
  return lines.join('\n')
}
