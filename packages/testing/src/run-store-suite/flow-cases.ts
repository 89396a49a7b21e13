import { FLOW_RECHECK_MS, type RunFlow } from '@durable/core'
import { describe, expect, it } from 'vitest'
import { at, definitions, insertRun, newRun, stateOf, update, type SuiteContext } from './fixtures.js'

const claimAt = (now: Date, owner = 'w1') => ({ owner, now, leaseUntil: new Date(now.getTime() + 30_000), definitions: definitions('wf') })

const flow = (changes: Partial<RunFlow>): RunFlow => ({ priority: 0, concurrency: null, rate: null, ...changes })

/** Cases of flow control: priority, concurrency and rate keys at the claim, debounced creates. */
export function flowCases({ store }: SuiteContext): void {
  describe('flow control', () => {
    it('refuses a claim as "outranked" while a due, free run of higher priority waits, and scans by priority', async () => {
      const low = await insertRun(store(), { now: at(0) })
      const high = await insertRun(store(), { now: at(5), flow: flow({ priority: 10 }) })
      expect(await store().findDueRuns({ now: at(10), definitions: definitions('wf'), limit: 10 }), 'due runs, highest priority first').toEqual([high, low])
      expect(await store().claimRun(low, claimAt(at(10))), 'claim of the low one').toEqual({ claimed: false, reason: 'outranked', dueAt: at(0), outrankedBy: high })
      expect(await store().claimRun(high, claimAt(at(10))), 'claim of the high one').toMatchObject({ claimed: true })
      expect(await store().claimRun(low, claimAt(at(11), 'w2')), 'the low one, once the high one is held').toMatchObject({ claimed: true })
    })

    it('holds back a claim whose concurrency key is at its limit, and frees the slot when a holder parks', async () => {
      const key = flow({ concurrency: { key: 'tenant-1', limit: 2 } })
      const [a, b, c] = [await insertRun(store(), { flow: key }), await insertRun(store(), { flow: key }), await insertRun(store(), { flow: key })]
      const other = await insertRun(store(), { flow: flow({ concurrency: { key: 'tenant-2', limit: 2 } }) })
      expect(await store().claimRun(a!, claimAt(at(10))), 'first of the key').toMatchObject({ claimed: true })
      expect(await store().claimRun(b!, claimAt(at(10), 'w2')), 'second of the key').toMatchObject({ claimed: true })
      expect(await store().claimRun(c!, claimAt(at(10), 'w3')), 'third of the key').toEqual({ claimed: false, reason: 'limited', dueAt: null })
      expect(await store().claimRun(other, claimAt(at(10), 'w3')), 'another key').toMatchObject({ claimed: true })
      const scan = (now: Date) => store().findDueRuns({ now, definitions: definitions('wf'), limit: 10 })
      expect(await scan(at(20)), 'the held-back run is not due for the reconciler at once').toEqual([])
      expect(await scan(at(10 + FLOW_RECHECK_MS)), 'it is, after FLOW_RECHECK_MS').toEqual([c])
      const heldBackOn = { workflowName: 'wf', concurrencyKey: 'tenant-1' }
      expect(await store().findDueRuns({ now: at(20), definitions: definitions('wf'), limit: 2, heldBackOn }), 'no slot free: none to wake').toEqual([])
      // a parks (a sleep): it holds no slot any more.
      expect(await store().updateRun(update(a!, { state: stateOf('waiting'), dueAt: at(99_000), leaseUntil: null, now: at(30) })), 'a parks').toBe(true)
      expect(await store().findDueRuns({ now: at(40), definitions: definitions('wf'), limit: 2, heldBackOn }), 'one slot free: the held-back run').toEqual([c])
      expect(await store().claimRun(c!, claimAt(at(40), 'w3')), 'third of the key, once a slot is free').toMatchObject({ claimed: true })
    })

    it('counts an expired lease as no slot held', async () => {
      const key = flow({ concurrency: { key: 'k', limit: 1 } })
      const [a, b] = [await insertRun(store(), { flow: key }), await insertRun(store(), { flow: key })]
      await store().claimRun(a!, { ...claimAt(at(10)), leaseUntil: at(1_000) })
      expect(await store().claimRun(b!, claimAt(at(500), 'w2')), 'while a holds it').toMatchObject({ claimed: false, reason: 'limited' })
      expect(await store().claimRun(b!, claimAt(at(1_000), 'w2')), 'once a’s lease expired').toMatchObject({ claimed: true })
    })

    it('lets at most `limit` runs of a rate key begin per period, and reserves the next slots for the others', async () => {
      const key = flow({ rate: { key: 'api', limit: 2, periodMs: 1_000 } })
      const ids: string[] = []
      for (let i = 0; i < 5; i++) ids.push(await insertRun(store(), { flow: key }))
      const [r1, r2, r3, r4, r5] = ids as [string, string, string, string, string]
      expect(await store().claimRun(r1, claimAt(at(10))), 'first').toMatchObject({ claimed: true })
      expect(await store().claimRun(r2, claimAt(at(10), 'w2'))).toMatchObject({ claimed: true })
      expect(await store().claimRun(r3, claimAt(at(20), 'w3')), 'third in the period').toEqual({ claimed: false, reason: 'limited', dueAt: at(1_010) })
      expect(await store().claimRun(r4, claimAt(at(30), 'w3')), 'fourth: the same next period').toEqual({ claimed: false, reason: 'limited', dueAt: at(1_010) })
      expect(await store().claimRun(r5, claimAt(at(40), 'w3')), 'fifth: the period after').toEqual({ claimed: false, reason: 'limited', dueAt: at(2_010) })
      expect(await store().claimRun(r3, claimAt(at(500), 'w3')), 'before its slot').toMatchObject({ claimed: false, reason: 'notDue' })
      expect(await store().claimRun(r3, claimAt(at(1_010), 'w3')), 'at its slot').toMatchObject({ claimed: true })
      expect(await store().claimRun(r4, claimAt(at(1_011), 'w4'))).toMatchObject({ claimed: true })
      // Later claims of a run that began (after a sleep) do not count again.
      await store().updateRun(update(r1, { state: stateOf('waiting'), dueAt: at(1_020), leaseUntil: null, now: at(15) }))
      expect(await store().claimRun(r1, claimAt(at(1_020), 'w5')), 'a begun run, claimed again').toMatchObject({ claimed: true })
    })

    it('debounces creates of one key: the pending run takes the later input and due time until it is due', async () => {
      const debounced = (n: number, now: number) => newRun({ inputJson: JSON.stringify({ n }), now: at(now), debounce: { key: 'd1', until: at(now + 1_000) } })
      const first = await store().createRun(debounced(1, 0))
      expect(first.created, 'the first start creates').toBe(true)
      const second = await store().createRun(debounced(2, 500))
      expect(second, 'a start within the delay').toEqual({ runId: first.runId, created: false })
      expect(await store().getRun(first.runId), 'the run, after it').toMatchObject({ input: { n: 2 }, dueAt: at(1_500), status: 'pending' })
      expect(await store().claimRun(first.runId, claimAt(at(1_000))), 'not due before the last start’s delay').toMatchObject({ claimed: false, reason: 'notDue' })
      const third = await store().createRun(debounced(3, 1_600))
      expect(third.created, 'a start after the run was due makes a new run').toBe(true)
      expect(third.runId).not.toBe(first.runId)
      expect(await store().claimRun(third.runId, claimAt(at(2_600))), 'the new run').toMatchObject({ claimed: true, run: { input: { n: 3 } } })
      const fourth = await store().createRun(debounced(4, 2_700))
      expect(fourth.created, 'a start after the run began makes a new run').toBe(true)
    })
  })
}
