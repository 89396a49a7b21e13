import { describe, expect, it } from 'vitest'
import { at, definitions, insertRun, lease, newId, stateOf, update, type SuiteContext } from './fixtures.js'

const claimAt = (now: Date, owner = 'w1', workflowNames = ['wf']) => ({
  owner,
  now,
  leaseUntil: new Date(now.getTime() + 30_000),
  definitions: definitions(...workflowNames),
})

/** Cases of `LeaseStore`: claimRun and its refusals, renewLeases, releaseLeases, findDueRuns. */
export function leaseCases({ store }: SuiteContext): void {
  describe('claims', () => {
    it('leases a due run and returns it running', async () => {
      const id = await insertRun(store(), { now: at(0) })
      const result = await store().claimRun(id, claimAt(at(10)))
      expect(result, 'claim of a due, free run').toMatchObject({ claimed: true, previousLeaseExpired: false })
      if (!result.claimed) return
      expect(result.run, 'the claimed run').toMatchObject({ id, status: 'running', input: { n: 1 }, leaseOwner: 'w1', leaseExpiresAt: at(30_010), dueAt: at(0) })
      expect(await store().getRun(id), 'getRun after the claim equals the claim’s run').toEqual(result.run)
    })

    it('refuses an unknown run as "missing"', async () => {
      expect(await store().claimRun(newId(), claimAt(at(0))), 'claim of an unknown run').toEqual({ claimed: false, reason: 'missing', dueAt: null })
    })

    it('refuses completed, failed and cancelled runs as "ended"', async () => {
      for (const status of ['completed', 'failed', 'cancelled'] as const) {
        const id = await insertRun(store())
        await lease(store(), id, 'w0')
        await store().updateRun(update(id, { owner: 'w0', state: stateOf(status), dueAt: at(0), leaseUntil: null, now: at(1) }))
        expect(await store().claimRun(id, claimAt(at(10))), `claim of a ${status} run`).toEqual({ claimed: false, reason: 'ended', dueAt: at(0) })
      }
    })

    it('refuses a run of a workflow the worker does not have as "unregistered", and leaves it free', async () => {
      const id = await insertRun(store(), { workflowName: 'new-workflow' })
      expect(await store().claimRun(id, claimAt(at(10), 'w1', ['wf', 'other'])), 'claim without the run’s workflow').toEqual({
        claimed: false,
        reason: 'unregistered',
        dueAt: at(0),
      })
      expect(await store().claimRun(id, claimAt(at(10), 'w1', [])), 'claim with no definitions').toMatchObject({ reason: 'unregistered' })
      expect((await store().getRun(id))?.leaseOwner, 'lease owner after refused claims').toBeNull()
    })

    it('claims only runs started with one of its definitions: name, version and shape', async () => {
      const create = (workflowVersion: string | null, shapeHash: string | null) => insertRun(store(), { workflowVersion, shapeHash })
      const v1 = await create('1', 'shape-a')
      const v2 = await create('2', 'shape-b')
      const legacy = await create(null, null)
      const withDefinitions = (...keys: Array<[string | null, string]>) => ({
        ...claimAt(at(10)),
        definitions: keys.map(([version, shapeHash]) => ({ name: 'wf', version, shapeHash })),
      })
      expect(await store().claimRun(v1, withDefinitions(['1', 'shape-b'])), 'v1 run, same version, other shape').toMatchObject({ claimed: false, reason: 'unregistered' })
      expect(await store().claimRun(v1, withDefinitions(['2', 'shape-a'])), 'v1 run, other version, same shape').toMatchObject({ claimed: false, reason: 'unregistered' })
      expect(await store().claimRun(v1, withDefinitions([null, 'shape-a'])), 'v1 run, no version').toMatchObject({ claimed: false, reason: 'unregistered' })
      expect(await store().claimRun(v2, withDefinitions(['1', 'shape-a'], ['2', 'shape-b'])), 'v2 run among two definitions').toMatchObject({
        claimed: true,
        run: { workflowVersion: '2', shapeHash: 'shape-b' },
      })
      expect(await store().claimRun(v1, withDefinitions(['1', 'shape-a'])), 'v1 run, its own definition').toMatchObject({
        claimed: true,
        run: { workflowVersion: '1', shapeHash: 'shape-a' },
      })
      // A run without a shape hash: its name and version decide.
      expect(await store().claimRun(legacy, withDefinitions(['1', 'shape-a'])), 'run without shape, other version').toMatchObject({ claimed: false, reason: 'unregistered' })
      expect(await store().claimRun(legacy, withDefinitions([null, 'any-shape'])), 'run without shape, same version, any shape').toMatchObject({
        claimed: true,
        run: { workflowVersion: null, shapeHash: null },
      })
    })

    it('refuses a run another worker holds as "leased" — even to the holder', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1', at(0), 1_000)
      expect(await store().claimRun(id, claimAt(at(999), 'w2')), 'claim of a live lease by another worker').toEqual({ claimed: false, reason: 'leased', dueAt: at(0) })
      expect(await store().claimRun(id, claimAt(at(500), 'w1')), 'second claim by the holder').toMatchObject({ claimed: false, reason: 'leased' })
      expect((await store().getRun(id))?.leaseOwner, 'lease owner after refused claims').toBe('w1')
    })

    it('refuses a run before its due time, and a run waiting on the outside, as "notDue"', async () => {
      const id = await insertRun(store(), { now: at(100) })
      expect(await store().claimRun(id, claimAt(at(99))), 'claim 1 ms before the due time').toEqual({ claimed: false, reason: 'notDue', dueAt: at(100) })
      await lease(store(), id, 'w1', at(100))
      await store().updateRun(update(id, { state: stateOf('waiting'), dueAt: null, leaseUntil: null, now: at(101) }))
      expect(await store().claimRun(id, claimAt(at(1e9))), 'claim of a run parked with no due time').toEqual({ claimed: false, reason: 'notDue', dueAt: null })
    })

    it('takes over an expired lease, says the previous holder died, and fences that holder out', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1', at(0), 1_000)
      const result = await store().claimRun(id, claimAt(at(1_000), 'w2'))
      expect(result, 'claim at the instant the lease expires').toMatchObject({ claimed: true, previousLeaseExpired: true, run: { leaseOwner: 'w2', leaseExpiresAt: at(31_000) } })
      expect(await store().updateRun(update(id, { owner: 'w1', now: at(1_001) })), 'fenced update by the previous holder').toBe(false)
      expect((await store().getRun(id))?.leaseOwner, 'lease owner after the old holder’s update').toBe('w2')
    })

    it('says a lease given back did not expire', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      await store().releaseLeases('w1', [id])
      expect(await store().claimRun(id, claimAt(at(1), 'w2')), 'claim after a release').toMatchObject({ claimed: true, previousLeaseExpired: false })
    })

    it('lets exactly one of two simultaneous claims win', async () => {
      const id = await insertRun(store())
      const results = await Promise.all([store().claimRun(id, claimAt(at(1), 'w1')), store().claimRun(id, claimAt(at(1), 'w2'))])
      expect(results.filter((r) => r.claimed).length, 'claims that won').toBe(1)
      expect(
        results.find((r) => !r.claimed),
        'the losing claim',
      ).toMatchObject({ reason: 'leased' })
    })
  })

  describe('leases', () => {
    it('renews only the leases the owner still holds', async () => {
      const mine = await insertRun(store())
      const taken = await insertRun(store())
      const free = await insertRun(store())
      await lease(store(), mine, 'w1', at(0), 1_000)
      await lease(store(), taken, 'w2', at(0), 1_000)
      expect(await store().renewLeases('w1', [mine, taken, free, newId()], at(60_000)), 'ids renewLeases returns').toEqual([mine])
      expect((await store().getRun(mine))?.leaseExpiresAt, 'the renewed lease').toEqual(at(60_000))
      expect((await store().getRun(taken))?.leaseExpiresAt, 'another owner’s lease').toEqual(at(1_000))
      expect((await store().getRun(free))?.leaseOwner, 'an unleased run').toBeNull()
      expect(await store().renewLeases('w1', [], at(1)), 'renewLeases of no runs').toEqual([])
    })

    it('releases only the owner’s leases and leaves the runs as they are', async () => {
      const mine = await insertRun(store())
      const theirs = await insertRun(store())
      await lease(store(), mine, 'w1')
      await lease(store(), theirs, 'w2')
      const before = await store().getRun(mine)
      await store().releaseLeases('w1', [mine, theirs])
      await store().releaseLeases('w1', [])
      expect(await store().getRun(mine), 'the released run').toEqual({ ...before, leaseOwner: null, leaseExpiresAt: null })
      expect((await store().getRun(theirs))?.leaseOwner, 'another owner’s run').toBe('w2')
    })
  })

  describe('findDueRuns', () => {
    it('finds active, due runs of its definitions that no live worker holds, most overdue first', async () => {
      const later = await insertRun(store(), { now: at(20) })
      const first = await insertRun(store(), { now: at(10) })
      const future = await insertRun(store(), { now: at(1_000) })
      const otherWorkflow = await insertRun(store(), { workflowName: 'unknown', now: at(0) })
      const leased = await insertRun(store(), { now: at(0) })
      await lease(store(), leased, 'w1', at(0), 5_000)
      const expired = await insertRun(store(), { now: at(0) })
      await lease(store(), expired, 'w1', at(0), 50)
      const ended = await insertRun(store(), { now: at(0) })
      await lease(store(), ended, 'w1')
      await store().updateRun(update(ended, { state: stateOf('completed'), dueAt: at(0), leaseUntil: null, now: at(1) }))
      const waiting = await insertRun(store(), { now: at(0) })
      await lease(store(), waiting, 'w1')
      await store().updateRun(update(waiting, { state: stateOf('waiting'), dueAt: null, leaseUntil: null, now: at(1) }))

      const scan = (now: number, names: string[], limit = 10) => store().findDueRuns({ now: at(now), definitions: definitions(...names), limit })
      expect(await scan(100, ['wf']), 'due runs at 100').toEqual([expired, first, later])
      expect(await scan(100, ['wf', 'unknown']), 'due runs of two workflows (equal due times by id)').toEqual([otherWorkflow, expired, first, later])
      expect(await scan(100, ['wf'], 2), 'due runs, limit 2').toEqual([expired, first])
      expect(await scan(100, []), 'due runs of no definitions').toEqual([])
      expect(await scan(10_000, ['wf']), 'due runs at 10 000').toEqual([leased, expired, first, later, future])
    })
  })
}
