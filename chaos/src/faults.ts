/**
 * The faults a soak injects, one at a time, at times spread over the load window: SIGKILL of a
 * worker (replaced at once), a PostgreSQL restart, `pg_terminate_backend` of every worker
 * connection, and a failover (the primary SIGKILLed, its synchronous standby promoted). Each records what recovery is measured against: when it happened and which runs
 * were in flight.
 */
import type pg from 'pg'
import { sleep } from './load.js'
import type { RestartablePostgres } from './postgres-server.js'
import type { ReplicatedPostgres } from './replicated-postgres.js'
import type { WorkerFleet } from './worker-fleet.js'

export type FaultKind = 'kill' | 'restart' | 'drop' | 'failover'

/** A fault as it happened. Times are `Date.now()` values. */
export interface FaultEvent {
  readonly kind: FaultKind
  /** When the fault hit (the kill; the server back up for a restart; the drop). */
  readonly at: number
  /** Runs leased by the victim (kill) or by anyone (restart, drop) just before the fault. */
  readonly inFlight: string[]
  /** Restart: how long the server was down. Failover: from the kill to the standby promoted. */
  readonly downMs?: number
  /** Drop only: connections terminated. */
  readonly terminated?: number
}

export interface FaultContext {
  readonly server: Pick<RestartablePostgres, 'stop' | 'start'>
  /** The pair a failover needs; absent when the soak has one server. */
  readonly replicated?: ReplicatedPostgres
  readonly promoteAfterMs: number
  readonly fleet: WorkerFleet
  /** The parent's own pool (its connections are never dropped on purpose). */
  readonly admin: pg.Pool
  /** `application_name` of the workers' connections. */
  readonly workerApp: string
  readonly outageMs: number
  readonly random: () => number
}

/** A schedule: `kills` + `restarts` + `drops` + `failovers` faults in a seeded order, evenly over `windowMs`. */
export function schedule(counts: Record<FaultKind, number>, windowMs: number, random: () => number): Array<{ kind: FaultKind; atMs: number }> {
  const kinds: FaultKind[] = []
  for (const kind of ['kill', 'restart', 'drop', 'failover'] as const) for (let i = 0; i < counts[kind]; i++) kinds.push(kind)
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!]
  }
  // From 10 % to 90 % of the window: faults hit while runs are being started and driven.
  return kinds.map((kind, i) => ({ kind, atMs: windowMs * (0.1 + (0.8 * (i + 0.5)) / kinds.length) }))
}

/** Carries out the schedule from `began`; one fault at a time, late if the previous one ran long. */
export async function injectFaults(
  plan: Array<{ kind: FaultKind; atMs: number }>,
  began: number,
  context: FaultContext,
  onEvent: (event: FaultEvent) => void,
): Promise<FaultEvent[]> {
  const events: FaultEvent[] = []
  for (const { kind, atMs } of plan) {
    await sleep(began + atMs - Date.now())
    const event =
      kind === 'kill' ? await killWorker(context) : kind === 'restart' ? await restartDatabase(context) : kind === 'drop' ? await dropConnections(context) : await failover(context)
    events.push(event)
    onEvent(event)
  }
  return events
}

/** Kills a worker that holds runs (any worker if none does) and starts another in its place. */
async function killWorker({ fleet, admin, random }: FaultContext): Promise<FaultEvent> {
  const leases = await leasedRuns(admin)
  const busy = fleet.pids.filter((pid) => leases.some((lease) => lease.pid === pid))
  const candidates = busy.length > 0 ? busy : fleet.pids
  const victim = candidates[Math.floor(random() * candidates.length)]!
  const inFlight = leases.filter((lease) => lease.pid === victim).map((lease) => lease.runId)
  const at = Date.now()
  await fleet.killAndReplace(victim)
  return { kind: 'kill', at, inFlight }
}

/** Stops PostgreSQL, keeps it down for `outageMs`, starts it again on the same data and port. */
async function restartDatabase({ server, admin, outageMs }: FaultContext): Promise<FaultEvent> {
  const inFlight = (await leasedRuns(admin)).map((lease) => lease.runId)
  const stopped = Date.now()
  await server.stop()
  await sleep(outageMs)
  await server.start()
  const at = Date.now()
  return { kind: 'restart', at, inFlight, downMs: at - stopped }
}

/** SIGKILLs the primary (all its processes), waits `promoteAfterMs` (a failover manager noticing), promotes the standby. */
async function failover({ replicated, admin, promoteAfterMs }: FaultContext): Promise<FaultEvent> {
  if (replicated === undefined) throw new Error('a failover needs a primary and a standby: set failovers in the soak config')
  const inFlight = (await leasedRuns(admin)).map((lease) => lease.runId)
  const killed = Date.now()
  await replicated.killPrimary()
  await sleep(promoteAfterMs)
  await replicated.promoteStandby()
  const at = Date.now()
  return { kind: 'failover', at: killed, inFlight, downMs: at - killed }
}

/** Terminates every backend of the workers: store pools, LISTEN connections, trace pools. */
async function dropConnections({ admin, workerApp }: FaultContext): Promise<FaultEvent> {
  const inFlight = (await leasedRuns(admin)).map((lease) => lease.runId)
  const at = Date.now()
  // In the select list, not the WHERE: Postgres may evaluate WHERE conditions in any order.
  const { rows } = await admin.query<{ terminated: boolean }>('SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1', [workerApp])
  return { kind: 'drop', at, inFlight, terminated: rows.filter((row) => row.terminated).length }
}

/** Active runs under a lease, with the pid of the worker process holding it. */
async function leasedRuns(admin: pg.Pool): Promise<Array<{ runId: string; pid: number }>> {
  const { rows } = await retried(() =>
    admin.query<{ id: string; lease_owner: string }>(
      `SELECT id, lease_owner FROM durable.runs WHERE lease_owner IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled')`,
    ),
  )
  // A worker's id is `${hostname}:${pid}:${ulid}`.
  return rows.map((row) => ({ runId: row.id, pid: Number(/:(\d+):[^:]+$/.exec(row.lease_owner)?.[1]) }))
}

/** The parent's own queries, tried again for a few seconds: its pool may hold a connection the last restart broke. */
export async function retried<T>(query: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await query()
    } catch (error) {
      if (tries >= 20) throw error
      await sleep(250)
    }
  }
}
