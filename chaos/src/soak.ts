/**
 * The chaos soak: its own PostgreSQL, a fleet of real worker processes, runs started at an even
 * pace — and meanwhile workers SIGKILLed, the database restarted and connections cut. Then every
 * run must have ended and the journal, the transactional writes and the compensations must be
 * exactly what the guarantees promise.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { checkInvariants, type Check } from './checks.js'
import { openStarterApp } from './starter-app.js'
import { injectFaults, retried, schedule, type FaultEvent } from './faults.js'
import { formatReport, measure, type Figures } from './figures.js'
import { sleep, startRuns } from './load.js'
import { startPostgres } from './postgres-server.js'
import { startReplicatedPostgres } from './replicated-postgres.js'
import type { SoakConfig } from './soak-config.js'
import { WorkerFleet } from './worker-fleet.js'

export interface SoakReport {
  readonly config: SoakConfig
  readonly events: readonly FaultEvent[]
  readonly checks: readonly Check[]
  readonly figures: Figures
  /** Figures and checks as a table. */
  readonly text: string
  /** True when every check held. */
  readonly ok: boolean
}

const WORKER_APP = 'durable-chaos-worker'

/** Runs one soak; `progress` receives a line now and then. Resolves with the report, violations included. */
export async function runSoak(config: SoakConfig, progress: (line: string) => void = () => {}): Promise<SoakReport> {
  const began = Date.now()
  // A password worth stealing: no error, log line or stored error may show it.
  const secret = `chaos${randomBytes(12).toString('hex')}`
  const maxConnections = 50 + config.workers * 30
  // With a failover among the faults: a primary and a synchronous standby, and every connection
  // on a multi-host connection string that follows the primary.
  const replicated = config.failovers > 0 ? await startReplicatedPostgres({ password: secret, maxConnections }) : undefined
  const server = replicated ?? (await startPostgres({ password: secret, maxConnections }))
  const closers: Array<() => Promise<unknown>> = []
  try {
    await server.createDatabase('chaos')
    await replicated?.waitForSync()
    const app = await openStarterApp((database, applicationName) => server.url(database, applicationName))
    closers.push(() => app.close())
    const { admin, durable } = app

    const fleet = new WorkerFleet({
      size: config.workers,
      env: { DATABASE_URL: server.url('chaos', WORKER_APP), LEASE_MS: String(config.leaseMs), CONCURRENCY: String(config.concurrency) },
    })
    closers.push(() => fleet.stop(2000))
    await fleet.start()
    const where = replicated ? `primary on port ${replicated.primaryPort}, synchronous standby on ${replicated.standbyPort}` : `postgres on port ${server.port}`
    progress(`${where}, ${config.workers} workers up; starting ${config.runs} runs over ${config.loadMs / 1000} s`)

    const random = seeded(config.seed)
    const plan = schedule({ kill: config.kills, restart: config.restarts, drop: config.drops, failover: config.failovers }, config.loadMs, random)
    const loadBegan = Date.now()
    const context = { server, ...(replicated ? { replicated } : {}), promoteAfterMs: config.promoteAfterMs, fleet, admin, workerApp: WORKER_APP, outageMs: config.outageMs, random }
    const faults = injectFaults(plan, loadBegan, context, (event) =>
      progress(`${event.kind} at +${((event.at - loadBegan) / 1000).toFixed(1)} s (${event.inFlight.length} runs in flight)`),
    )
    const [load, events] = await Promise.all([startRuns(durable, config.runs, config.loadMs), faults])
    progress(`all runs started (${load.retries} starts retried); draining`)
    await drain(admin, config.drainMs, progress)
    await fleet.stop()

    const checks = await checkInvariants(admin, {
      runs: config.runs,
      runIds: load.runIds,
      startFailures: load.failures,
      unexpectedExits: fleet.record.unexpectedExits,
      texts: [...fleet.record.logLines, ...fleet.record.strayOutput, ...load.refusals, ...load.failures, ...(await storedErrors(admin))],
      secret,
    })
    const figures = await measure(admin, { events, startRetries: load.retries, logLines: fleet.record.logLines, wallMs: Date.now() - began })
    return { config, events, checks, figures, text: formatReport(figures, checks), ok: checks.every((check) => check.ok) }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {})
    await server.destroy()
  }
}

/** Waits until no run is active, or `drainMs` passed (the checks then name the stuck runs). */
async function drain(admin: pg.Pool, drainMs: number, progress: (line: string) => void): Promise<void> {
  const deadline = Date.now() + drainMs
  let lastReport = Date.now()
  for (;;) {
    const { rows } = await retried(() => admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM durable.runs WHERE status NOT IN ('completed', 'failed', 'cancelled')`))
    const active = rows[0]!.n
    if (active === 0 || Date.now() > deadline) return
    if (Date.now() - lastReport > 5000) {
      progress(`${active} runs still active`)
      lastReport = Date.now()
    }
    await sleep(200)
  }
}

/** Every error the store holds (runs and journal), as text: a secret must not be stored either. */
async function storedErrors(admin: pg.Pool): Promise<string[]> {
  const { rows } = await admin.query<{ error: string }>(
    `SELECT error::text AS error FROM durable.runs WHERE error IS NOT NULL UNION ALL SELECT error::text FROM durable.journal WHERE error IS NOT NULL`,
  )
  return rows.map((row) => row.error)
}

/** mulberry32: a small seeded generator, so a soak's choices repeat with its seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
