/**
 * What the database does while the workers drain: every 100 ms, what its active backends wait
 * for (`pg_stat_activity`: `CPU` when they wait for nothing) and which locks are waited for
 * (`pg_locks` not granted); and the CPU time the server's processes used (`/proc`, Linux).
 */
import { readFile, readdir } from 'node:fs/promises'
import pg from 'pg'

export interface ServerSample {
  /** Share of sampled active backends in each wait (`type:event`), largest first. */
  readonly waits: ReadonlyArray<[wait: string, share: number]>
  /** Samples in which a lock of each kind was waited for, of `samples`. */
  readonly lockWaits: Readonly<Record<string, number>>
  /** Active backends seen per sample, on average. */
  readonly activeBackends: number
  readonly samples: number
  /** CPU seconds of the server's processes per second of wall time (2 = two cores busy). */
  readonly cpuCores: number
}

const CLOCK_TICKS = 100

/** Starts sampling database `database`; `stop()` resolves with the figures. */
export async function sampleServer(adminUrl: string, database: string): Promise<{ stop(): Promise<ServerSample> }> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
  const postmaster = await parentOf(rows[0]!.pid)
  const cpuBefore = await childrenCpuTicks(postmaster)
  const began = performance.now()
  const waits = new Map<string, number>()
  const lockWaits: Record<string, number> = {}
  let samples = 0
  let active = 0
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const sampled = performance.now()
      const { rows: activity } = await client.query<{ wait: string; n: number }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait, count(*)::int AS n FROM pg_stat_activity
          WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1`,
        [database],
      )
      const { rows: locks } = await client.query<{ locktype: string; n: number }>(
        `SELECT locktype || ' ' || mode AS locktype, count(*)::int AS n FROM pg_locks WHERE NOT granted GROUP BY 1`,
      )
      samples++
      for (const { wait, n } of activity) {
        waits.set(wait, (waits.get(wait) ?? 0) + n)
        active += n
      }
      for (const { locktype } of locks) lockWaits[locktype] = (lockWaits[locktype] ?? 0) + 1
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (performance.now() - sampled))))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      const cpuAfter = await childrenCpuTicks(postmaster)
      const seconds = (performance.now() - began) / 1000
      await client.end()
      const total = [...waits.values()].reduce((a, b) => a + b, 0)
      return {
        waits: [...waits].sort((a, b) => b[1] - a[1]).map(([wait, n]) => [wait, Math.round((n / Math.max(1, total)) * 100) / 100]),
        lockWaits,
        activeBackends: Math.round((active / Math.max(1, samples)) * 10) / 10,
        samples,
        cpuCores: Math.round(((cpuAfter - cpuBefore) / CLOCK_TICKS / seconds) * 100) / 100,
      }
    },
  }
}

/** utime + stime (ticks) of `pids`; processes gone meanwhile count 0. */
export async function cpuTicks(pids: readonly number[]): Promise<number> {
  let ticks = 0
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
    if (stat === undefined) continue
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks
}

async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

/** CPU ticks of the postmaster and all its children (the backends and background processes). */
async function childrenCpuTicks(postmaster: number): Promise<number> {
  const pids = [postmaster]
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    if ((await parentOf(Number(entry)).catch(() => -1)) === postmaster) pids.push(Number(entry))
  }
  return cpuTicks(pids)
}
