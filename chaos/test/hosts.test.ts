/**
 * Workers on 1, 2 and 4 hosts (network namespaces, each reaching PostgreSQL over its own link),
 * concurrency 8 each: every host takes part, every guarantee holds. Steps/s are printed, never
 * asserted (a shared machine); `npm run bench -- --only hosts` measures them.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { checkInvariants } from '../src/checks.ts'
import { drained, startHostCluster, type HostCluster } from '../src/host-cluster.ts'
import { startRuns } from '../src/load.ts'

const RUNS = 120
const rows: string[] = []

describe('workers on several hosts against one PostgreSQL', () => {
  let cluster: HostCluster | undefined
  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
  })

  for (const hosts of [1, 2, 4]) {
    it(`${hosts} host(s) × concurrency 8: every run ends once, every host works`, { timeout: 60_000 }, async () => {
      cluster = await startHostCluster({ hosts, concurrency: 8, leaseMs: 5000, password: 'hosts-secret' })
      const { admin, durable, fleet } = cluster
      const began = Date.now()
      const load = await startRuns(durable, RUNS, 500)
      expect(await drained(admin, 45_000)).toBe(true)
      const wallMs = Date.now() - began
      await fleet.stop()

      const checks = await checkInvariants(admin, {
        runs: RUNS,
        runIds: load.runIds,
        startFailures: load.failures,
        unexpectedExits: fleet.record.unexpectedExits,
        texts: [],
        secret: 'hosts-secret',
      })
      expect(checks.filter((check) => !check.ok)).toEqual([])
      // Each host's worker ran steps: the runs spread over the hosts.
      const { rows: byPid } = await admin.query<{ pid: number; n: number }>('SELECT pid, count(*)::int AS n FROM chaos.executions GROUP BY pid ORDER BY pid')
      expect(byPid).toHaveLength(hosts)
      const { rows: steps } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM durable.journal WHERE kind = 'step_completed'`)
      rows.push(
        `${hosts} host(s)  ${String(steps[0]!.n).padStart(5)} steps  ${(wallMs / 1000).toFixed(1).padStart(5)} s  ${((steps[0]!.n * 1000) / wallMs).toFixed(0).padStart(5)} steps/s  per host: ${byPid.map((row) => row.n).join(' / ')} executions`,
      )
      console.log(rows.join('\n'))
    })
  }
})
