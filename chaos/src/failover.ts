/**
 * A PostgreSQL failover under load: a primary and a synchronous standby, worker processes and a
 * starter on a multi-host connection string (`target_session_attrs=read-write`); mid-load the
 * primary is SIGKILLed and the standby promoted. Then the soak's invariants, plus: every journal
 * entry the primary had committed (and the standby had flushed) before the kill is still there.
 */
import { checkInvariants, type Check } from './checks.js'
import { retried } from './faults.js'
import { measure, type Figures } from './figures.js'
import { sleep, startRuns } from './load.js'
import { startReplicatedPostgres } from './replicated-postgres.js'
import { openStarterApp } from './starter-app.js'
import { WorkerFleet } from './worker-fleet.js'

export interface FailoverConfig {
  readonly runs: number
  readonly workers: number
  readonly concurrency: number
  readonly leaseMs: number
  readonly loadMs: number
  /** When, from the start of the load, the primary is killed. */
  readonly killAtMs: number
  /** How long the standby waits before it is promoted (a failover manager's detection time). */
  readonly promoteAfterMs: number
  readonly drainMs: number
}

export interface FailoverReport {
  readonly checks: readonly Check[]
  readonly figures: Figures
  /** Kill → first journal entry committed on the new primary. */
  readonly stallMs: number | undefined
  readonly promoteMs: number
  /** Journal entries committed before the kill, and how many of them the new primary lacks. */
  readonly journaledBeforeKill: number
  readonly lostAfterFailover: number
  readonly inFlight: number
  readonly startRetries: number
}

const WORKER_APP = 'durable-chaos-worker'

export async function runFailover(config: FailoverConfig, secret: string, progress: (line: string) => void = () => {}): Promise<FailoverReport> {
  const began = Date.now()
  const db = await startReplicatedPostgres({ password: secret, maxConnections: 60 + config.workers * 30 })
  const closers: Array<() => Promise<unknown>> = []
  try {
    await db.createDatabase('chaos')
    await db.waitForSync()
    const app = await openStarterApp((database, applicationName) => db.url(database, applicationName))
    closers.push(() => app.close())
    const { admin, durable } = app
    const fleet = new WorkerFleet({
      size: config.workers,
      env: { DATABASE_URL: db.url('chaos', WORKER_APP), LEASE_MS: String(config.leaseMs), CONCURRENCY: String(config.concurrency) },
    })
    closers.push(() => fleet.stop(2000))
    await fleet.start()
    progress(`primary :${db.primaryPort}, synchronous standby :${db.standbyPort}; ${config.workers} workers; ${config.runs} runs over ${config.loadMs / 1000} s`)

    const failover = (async () => {
      await sleep(config.killAtMs)
      const { rows: leased } = await admin.query<{ id: string }>(`SELECT id FROM durable.runs WHERE lease_owner IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled')`)
      // What the primary has committed, once the standby has flushed it: none of it may be lost.
      const { rows: journal } = await admin.query<{ key: string }>(`SELECT run_id || '#' || seq AS key FROM durable.journal`)
      const { rows: lsn } = await admin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
      for (;;) {
        const { rows } = await admin.query<{ flushed: boolean }>(`SELECT flush_lsn >= $1::pg_lsn AS flushed FROM pg_stat_replication WHERE application_name = 'standby'`, [
          lsn[0]!.lsn,
        ])
        if (rows[0]?.flushed === true) break
        await sleep(5)
      }
      const killedAt = Date.now()
      await db.killPrimary()
      progress(`primary killed at +${((killedAt - began) / 1000).toFixed(1)} s (${leased.length} runs in flight, ${journal.length} journal entries)`)
      await sleep(config.promoteAfterMs)
      const promoting = Date.now()
      await db.promoteStandby()
      const promoteMs = Date.now() - promoting
      progress(`standby promoted in ${promoteMs} ms`)
      return { killedAt, promoting, promoteMs, inFlight: leased.map((row) => row.id), journaled: journal.map((row) => row.key) }
    })()
    const [load, kill] = await Promise.all([startRuns(durable, config.runs, config.loadMs), failover])
    progress(`all runs started (${load.retries} starts retried); draining`)
    const deadline = Date.now() + config.drainMs
    for (;;) {
      const { rows } = await retried(() => admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM durable.runs WHERE status NOT IN ('completed', 'failed', 'cancelled')`))
      if (rows[0]!.n === 0 || Date.now() > deadline) break
      await sleep(200)
    }
    await fleet.stop()

    const { rows: kept } = await admin.query<{ key: string }>(`SELECT run_id || '#' || seq AS key FROM durable.journal`)
    const present = new Set(kept.map((row) => row.key))
    const lost = kill.journaled.filter((key) => !present.has(key))
    // Writes land on the new primary only once promoted: the first entry stamped after the
    // promotion began (entries stamped just before the kill may have committed on the old one).
    const { rows: first } = await admin.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(created_at)) * 1000)::float8 AS ms FROM durable.journal WHERE created_at >= to_timestamp($1::float8 / 1000)`,
      [kill.promoting],
    )
    const checks = await checkInvariants(admin, {
      runs: config.runs,
      runIds: load.runIds,
      startFailures: load.failures,
      unexpectedExits: fleet.record.unexpectedExits,
      texts: [...fleet.record.logLines, ...fleet.record.strayOutput, ...load.refusals, ...load.failures],
      secret,
    })
    checks.push({
      name: 'every journal entry committed before the failover is on the new primary',
      ok: lost.length === 0,
      detail: lost.length === 0 ? `${kill.journaled.length} entries` : `${lost.length} lost: ${lost.slice(0, 5).join(', ')}`,
    })
    const figures = await measure(admin, {
      events: [{ kind: 'kill', at: kill.killedAt, inFlight: kill.inFlight }],
      startRetries: load.retries,
      logLines: fleet.record.logLines,
      wallMs: Date.now() - began,
    })
    const stallMs = first[0]?.ms == null ? undefined : first[0].ms - kill.killedAt
    figures.push([
      'failover: primary killed → standby promoted (promotion itself)',
      `${((config.promoteAfterMs + kill.promoteMs) / 1000).toFixed(2)} s (${(kill.promoteMs / 1000).toFixed(2)} s)`,
    ])
    figures.push(['failover: stall, kill → first step journaled on the new primary', stallMs === undefined ? 'n/a' : `${(stallMs / 1000).toFixed(2)} s`])
    // The soak's fault rows do not apply; its "recovery after a kill" is the failover's here.
    const skipped = /^(workers SIGKILLed|PostgreSQL restarts|connection drops|recovery after a (restart|connection drop)|first step journaled after a restart)/
    return {
      checks,
      figures: figures
        .filter(([label]) => !skipped.test(label))
        .map(([label, value]) => [
          label.replace('recovery after a kill: median / max (kills holding runs)', 'recovery of the runs in flight at the failover: median / max'),
          value,
        ]),
      stallMs,
      promoteMs: kill.promoteMs,
      journaledBeforeKill: kill.journaled.length,
      lostAfterFailover: lost.length,
      inFlight: kill.inFlight.length,
      startRetries: load.retries,
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
    await db.destroy()
  }
}
