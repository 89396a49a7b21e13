/**
 * A partition: one worker's host (a network namespace) is cut off from the database for longer
 * than the lease, then restored. Its runs must be taken over while it is away, the results it
 * computed meanwhile must be refused when it comes back, and nothing journaled may run twice.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CHAOS_WORKFLOW, isDoomed } from '../src/chaos-workflow.ts'
import { checkInvariants } from '../src/checks.ts'
import { drained, leases, startHostCluster, type HostCluster } from '../src/host-cluster.ts'

const LEASE_MS = 2000
/** Longer than the lease and than the ~3 s in which the server drops the cut worker's liveness. */
const CUT_MS = 4 * LEASE_MS
/** The first try of `reserve` in the slow runs: still running when the link is cut, done before it is back. */
const HOLD_MS = 2500

describe('a partition: one worker cut off from the database for longer than its lease', () => {
  let cluster: HostCluster
  beforeAll(async () => {
    cluster = await startHostCluster({ hosts: 2, concurrency: 8, leaseMs: LEASE_MS, password: 'partition-secret' })
  })
  afterAll(async () => {
    await cluster?.close()
  })

  it('takes its runs over, refuses its late results, and runs nothing journaled twice', { timeout: 150_000 }, async () => {
    const { admin, durable, fleet, network } = cluster
    const [cutPid] = fleet.pidsAt(0) as [number]
    const [otherPid] = fleet.pidsAt(1) as [number]
    // 16 slow runs (8 per worker), then 40 ordinary ones behind them.
    const runIds: string[] = []
    for (let i = 0; i < 56; i++) {
      const input = { i, doomed: isDoomed(i), ...(i < 16 ? { holdMs: HOLD_MS } : {}) }
      runIds.push(await durable.start(CHAOS_WORKFLOW, input, { idempotencyKey: `partition-${i}` }))
    }
    // The cut worker is inside `reserve` of runs it leased (their executions are recorded).
    const inFlight = await vi.waitFor(
      async () => {
        const held = (await leases(admin)).filter((lease) => lease.pid === cutPid).map((lease) => lease.runId)
        const { rows } = await admin.query<{ run_id: string }>(`SELECT DISTINCT run_id FROM chaos.executions WHERE pid = $1 AND step = 'reserve' AND run_id = ANY($2)`, [
          cutPid,
          held,
        ])
        expect(rows.length).toBeGreaterThan(0)
        return rows.map((row) => row.run_id)
      },
      { timeout: 15_000, interval: 50 },
    )

    const cutAt = Date.now()
    await network.hosts[0]!.cut()
    let takenOverMs: number
    try {
      // While it is cut off, the other worker takes each of its runs: leases it, or ends it. The
      // link stays down until it has (a loaded machine may take longer than CUT_MS).
      await vi.waitFor(
        async () => {
          const { rows } = await admin.query<{ id: string; status: string; lease_owner: string | null }>(`SELECT id, status, lease_owner FROM durable.runs WHERE id = ANY($1)`, [
            inFlight,
          ])
          const notYet = rows.filter((row) => !['completed', 'failed'].includes(row.status) && !(row.lease_owner ?? '').includes(`:${otherPid}:`))
          expect(notYet).toEqual([])
        },
        { timeout: 30_000, interval: 100 },
      )
      takenOverMs = Date.now() - cutAt
      const left = cutAt + CUT_MS - Date.now()
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left))
    } finally {
      await network.hosts[0]!.restore()
    }
    const restoredAt = Date.now()
    expect(await drained(admin, 30_000)).toBe(true)
    // The cut worker's late result either reaches the database once the link is back and is
    // refused (its lease is gone), or its connection fails first and the worker drops it as the
    // database is unreachable; which one depends on TCP timing. Either way it says so — wait for
    // that (the other worker may drain everything first). The journal check below is what
    // proves that nothing of the cut worker's was journaled.
    const lateRefusals = () =>
      fleet.record.logLines.filter((line) => /lost the lease|abandoned step|database is unreachable/.test(line) && inFlight.some((id) => line.includes(id)))
    // A segment lost to the cut is sent again on TCP's backoff, which doubles per try (up to
    // tens of seconds after a long cut): give it a minute.
    await vi.waitFor(() => expect(lateRefusals().length).toBeGreaterThan(0), { timeout: 60_000, interval: 100 })
    await fleet.stop()

    // The cut worker's first tries of `reserve` ran to the end during the cut, and none of them
    // is in the journal: each run's journaled `reserve` is a later attempt, run by the other worker.
    const { rows: reserves } = await admin.query<{ run_id: string; attempt: number; by_cut: boolean; by_other: boolean; cut_tries: number }>(
      `SELECT j.run_id, j.attempt,
          EXISTS (SELECT 1 FROM chaos.executions e WHERE e.run_id = j.run_id AND e.step = 'reserve' AND e.attempt = j.attempt AND e.pid = $2) AS by_cut,
          EXISTS (SELECT 1 FROM chaos.executions e WHERE e.run_id = j.run_id AND e.step = 'reserve' AND e.attempt = j.attempt AND e.pid = $3) AS by_other,
          (SELECT count(*)::int FROM chaos.executions e WHERE e.run_id = j.run_id AND e.step = 'reserve' AND e.pid = $2) AS cut_tries
        FROM durable.journal j WHERE j.run_id = ANY($1) AND j.step_key = 'reserve' AND j.kind = 'step_completed' ORDER BY j.run_id`,
      [inFlight, cutPid, otherPid],
    )
    expect(reserves).toHaveLength(inFlight.length)
    for (const reserve of reserves) expect(reserve).toMatchObject({ by_cut: false, by_other: true, cut_tries: 1 })
    expect(reserves.every((reserve) => reserve.attempt >= 2)).toBe(true)
    // Once back, the cut worker saw that its results could not count (refused, or dropped).
    expect(lateRefusals().length).toBeGreaterThan(0)

    const checks = await checkInvariants(admin, {
      runs: runIds.length,
      runIds,
      startFailures: [],
      unexpectedExits: fleet.record.unexpectedExits,
      texts: [],
      secret: 'partition-secret',
    })
    expect(checks.filter((check) => !check.ok)).toEqual([])
    console.log(
      `partition: ${inFlight.length} runs in flight on the cut worker; cut ${((restoredAt - cutAt) / 1000).toFixed(1)} s; all taken over after ${(takenOverMs / 1000).toFixed(1)} s; ` +
        `${lateRefusals.length} late results refused; drained ${((Date.now() - restoredAt) / 1000).toFixed(1)} s after the link came back`,
    )
  })
})
