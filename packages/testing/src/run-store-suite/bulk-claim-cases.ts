import type { BulkClaim, RunFlow } from '@durable/core'
import { describe, expect, it } from 'vitest'
import { at, completed, definitions, failed, insertRun, lease, stateOf, update, type SuiteContext } from './fixtures.js'

const bulkAt = (now: Date, limit: number, owner = 'w1', workflowNames = ['wf']): BulkClaim => ({
  owner,
  now,
  leaseUntil: new Date(now.getTime() + 30_000),
  definitions: definitions(...workflowNames),
  limit,
})

const flow = (changes: Partial<RunFlow>): RunFlow => ({ priority: 0, concurrency: null, rate: null, ...changes })

/** Cases of `LeaseStore.claimDueRuns`: the rules of `claimRun`, for many runs in one call. */
export function bulkClaimCases({ store }: SuiteContext): void {
  const claimDueRuns = (claim: BulkClaim) => {
    const { claimDueRuns } = store()
    if (claimDueRuns === undefined) throw new Error('the store has no claimDueRuns: pass { bulkClaims: false } to testRunStore')
    return claimDueRuns.call(store(), claim)
  }
  const ids = (claimed: ReadonlyArray<{ run: { id: string } }>) => claimed.map((c) => c.run.id)

  describe('claimDueRuns', () => {
    it('leases due runs, highest priority first, then most overdue, and returns them running', async () => {
      const late = await insertRun(store(), { now: at(20) })
      const early = await insertRun(store(), { now: at(10) })
      const urgent = await insertRun(store(), { now: at(30), flow: flow({ priority: 5 }) })
      const claimed = await claimDueRuns(bulkAt(at(100), 10))
      expect(ids(claimed), 'claimed runs in order').toEqual([urgent, early, late])
      expect(claimed[1], 'a claimed run').toMatchObject({
        previousLeaseExpired: false,
        results: [],
        run: { id: early, status: 'running', input: { n: 1 }, leaseOwner: 'w1', leaseExpiresAt: at(30_100), dueAt: at(10) },
      })
      for (const { run } of claimed) expect(await store().getRun(run.id), `getRun of ${run.id} after the claim`).toEqual(run)
      expect(await claimDueRuns(bulkAt(at(200), 10, 'w2')), 'a second claimer finds them leased').toEqual([])
    })

    it('takes at most `limit` runs, the best ones, and leaves the rest free', async () => {
      const runs = [await insertRun(store(), { now: at(1) }), await insertRun(store(), { now: at(2) }), await insertRun(store(), { now: at(3) })]
      expect(ids(await claimDueRuns(bulkAt(at(10), 2))), 'limit 2').toEqual(runs.slice(0, 2))
      expect((await store().getRun(runs[2]!))?.leaseOwner, 'the run past the limit').toBeNull()
      expect(ids(await claimDueRuns(bulkAt(at(10), 2, 'w2'))), 'the next claimer').toEqual([runs[2]])
    })

    it('skips runs not due, leased, ended, parked, and of other definitions', async () => {
      const due = await insertRun(store(), { now: at(0) })
      await insertRun(store(), { now: at(1_000) })
      const leased = await insertRun(store())
      await lease(store(), leased, 'w0', at(0), 5_000)
      const ended = await insertRun(store())
      await lease(store(), ended, 'w1')
      await store().updateRun(update(ended, { state: stateOf('completed'), dueAt: at(0), leaseUntil: null, now: at(1) }))
      const waiting = await insertRun(store())
      await lease(store(), waiting, 'w1')
      await store().updateRun(update(waiting, { state: stateOf('waiting'), dueAt: null, leaseUntil: null, now: at(1) }))
      await insertRun(store(), { workflowName: 'other' })
      await insertRun(store(), { workflowVersion: '2' })
      await insertRun(store(), { shapeHash: 'another-shape' })
      expect(ids(await claimDueRuns(bulkAt(at(100), 10))), 'claimed at 100').toEqual([due])
      expect(await claimDueRuns(bulkAt(at(100), 10, 'w1', [])), 'no definitions').toEqual([])
      expect((await store().getRun(leased))?.leaseOwner, 'the leased run’s owner').toBe('w0')
    })

    it('takes over an expired lease, says the holder died, and fences that holder out', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w0', at(0), 1_000)
      expect(await claimDueRuns(bulkAt(at(999), 10)), 'one ms before the lease expires').toEqual([])
      const [taken] = await claimDueRuns(bulkAt(at(1_000), 10))
      expect(taken, 'claim at the instant the lease expires').toMatchObject({ previousLeaseExpired: true, run: { id, leaseOwner: 'w1', leaseExpiresAt: at(31_000) } })
      expect(await store().updateRun(update(id, { owner: 'w0', now: at(1_001) })), 'fenced update by the previous holder').toBe(false)
    })

    it('returns the results journaled so far, as loadResults reads them', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w0')
      const entries = [completed('a', { ok: 1 }), completed('b', null), failed('c')]
      expect(await store().updateRun(update(id, { owner: 'w0', dueAt: at(10), leaseUntil: null, journal: entries })), 'commit and release').toBe(true)
      const [taken] = await claimDueRuns(bulkAt(at(20), 10, 'w2'))
      expect(taken?.previousLeaseExpired, 'a released lease did not expire').toBe(false)
      expect(taken?.results, 'results with the claim').toEqual(await store().loadResults(id))
      expect(
        taken?.results.map((r) => [r.stepKey, r.result]),
        'their keys and values',
      ).toEqual([
        ['a', { ok: 1 }],
        ['b', null],
      ])
    })

    it('leaves runs under flow control to claimRun', async () => {
      const limited = await insertRun(store(), { flow: flow({ concurrency: { key: 'k', limit: 5 } }) })
      const rated = await insertRun(store(), { flow: flow({ rate: { key: 'k', limit: 5, periodMs: 1_000 } }) })
      const plain = await insertRun(store())
      expect(await store().findDueRuns({ now: at(10), definitions: definitions('wf'), limit: 10, flowControlled: true }), 'due runs under flow control').toEqual([limited, rated])
      expect(ids(await claimDueRuns(bulkAt(at(10), 10))), 'bulk claim').toEqual([plain])
      expect(await store().claimRun(limited, { ...bulkAt(at(10), 1, 'w2') }), 'claimRun of the concurrency-keyed run').toMatchObject({ claimed: true })
      expect(await store().claimRun(rated, { ...bulkAt(at(10), 1, 'w2') }), 'claimRun of the rate-keyed run').toMatchObject({ claimed: true })
    })

    it('never gives one run to two claimers at once', async () => {
      const runs: string[] = []
      for (let i = 0; i < 12; i++) runs.push(await insertRun(store(), { now: at(i) }))
      const claims = await Promise.all([claimDueRuns(bulkAt(at(100), 5, 'w1')), claimDueRuns(bulkAt(at(100), 5, 'w2')), store().claimRun(runs[0]!, bulkAt(at(100), 1, 'w3'))])
      const taken = [...ids(claims[0]), ...ids(claims[1]), ...(claims[2].claimed ? [runs[0]!] : [])]
      expect(new Set(taken).size, 'runs taken, each once').toBe(taken.length)
      for (const id of taken) expect((await store().getRun(id))?.leaseOwner, `owner of ${id}`).toMatch(/^w[123]$/)
    })

    it('refuses a limit that is not a positive integer', async () => {
      await expect(claimDueRuns(bulkAt(at(0), 0)), 'limit 0').rejects.toMatchObject({ code: 'INVALID_INPUT' })
      await expect(claimDueRuns(bulkAt(at(0), 1.5)), 'limit 1.5').rejects.toMatchObject({ code: 'INVALID_INPUT' })
    })
  })
}
