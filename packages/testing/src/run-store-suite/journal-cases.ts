import type { NewJournalEntry } from '@durable/core'
import { describe, expect, it } from 'vitest'
import { at, completed, definitions, failed, insertRun, journalOf, lease, stateOf, update, type SuiteContext } from './fixtures.js'

/** Cases of `JournalStore`: fenced updateRun and updateRuns, journal order and uniqueness, loadResults. */
export function journalCases({ store }: SuiteContext): void {
  describe('fenced updates', () => {
    it('applies the holder’s update: state, status, error, due time, lease', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const error = { message: 'card declined', code: 'NON_RETRYABLE', step: 'charge' }
      const state = stateOf('compensating', { attempt: 2, attempts: 3, error })
      expect(await store().updateRun(update(id, { state, dueAt: at(77), leaseUntil: at(90_000), now: at(50) })), 'updateRun by the holder').toBe(true)
      expect(await store().getRun(id), 'the run after the update').toMatchObject({
        status: 'compensating',
        state,
        error,
        dueAt: at(77),
        leaseOwner: 'w1',
        leaseExpiresAt: at(90_000),
        createdAt: at(0),
        updatedAt: at(50),
      })
    })

    it('keeps a past due time while the holder keeps the lease, and writes a future or no due time as given', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const first = (await store().getRun(id))!.dueAt
      await store().updateRun(update(id, { dueAt: at(5), now: at(5), journal: completed('a', 1) }))
      await store().updateRun(update(id, { dueAt: at(6), now: at(6), journal: completed('b', 2) }))
      expect((await store().getRun(id))!.dueAt, 'due time after two steps under one lease').toEqual(first)
      await store().updateRun(update(id, { dueAt: at(9_000), now: at(7), leaseUntil: null }))
      expect((await store().getRun(id))!.dueAt, 'due time of a backoff').toEqual(at(9_000))
    })

    it('gives the lease back when leaseUntil is null', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      expect(await store().updateRun(update(id, { leaseUntil: null, dueAt: null })), 'update that parks the run').toBe(true)
      expect(await store().getRun(id), 'the parked run').toMatchObject({ leaseOwner: null, leaseExpiresAt: null, dueAt: null })
    })

    it('is fenced: a worker without the lease changes nothing and journals nothing', async () => {
      const id = await insertRun(store())
      expect(await store().updateRun(update(id, { journal: completed('a', 1) })), 'update of a run nobody holds').toBe(false)
      await lease(store(), id, 'w1')
      const leased = await store().getRun(id)
      expect(await store().updateRun(update(id, { owner: 'w2', journal: completed('a', 1) })), 'update by a worker that is not the holder').toBe(false)
      expect(await store().updateRun(update(id, { owner: 'w2' })), 'update without journal by a worker that is not the holder').toBe(false)
      expect(await store().updateRun(update('R-unknown', { journal: completed('a', 1) })), 'update of an unknown run').toBe(false)
      expect(await store().getRun(id), 'the run after refused updates').toEqual(leased)
      expect(await store().journal(id), 'the journal after refused updates').toEqual([])
    })

    it('makes a waiting parent due in the same update that ends its child', async () => {
      const parent = await insertRun(store())
      await lease(store(), parent, 'w1')
      await store().updateRun(update(parent, { state: stateOf('waiting'), dueAt: null, leaseUntil: null, now: at(1) }))
      const child = await insertRun(store(), { parentRunId: parent })
      await lease(store(), child, 'w1')
      expect(await store().updateRun(update(child, { state: stateOf('completed'), dueAt: null, leaseUntil: null, now: at(42), wake: parent })), 'the child’s last update').toBe(
        true,
      )
      expect((await store().getRun(parent))?.dueAt, 'due time of the woken parent').toEqual(at(42))
      // A refused update wakes nobody.
      const other = await insertRun(store())
      await lease(store(), other, 'w1')
      await store().updateRun(update(other, { state: stateOf('waiting'), dueAt: null, leaseUntil: null, now: at(1) }))
      expect(await store().updateRun(update(child, { owner: 'w9', now: at(50), wake: other })), 'a refused update with wake').toBe(false)
      expect((await store().getRun(other))?.dueAt, 'due time of a parent a refused update named').toBeNull()
    })
  })

  describe('group commit (updateRuns)', () => {
    it('applies many runs’ updates in one call: each fenced on its own run, the refused one alone changes nothing', async () => {
      const [a, b, c] = [await insertRun(store()), await insertRun(store()), await insertRun(store())]
      for (const id of [a, b, c]) await lease(store(), id, 'w1')
      await store().claimRun(b, { owner: 'w2', now: at(40_000), leaseUntil: at(90_000), definitions: definitions('wf') }) // b's lease lapsed: w2 took it
      const before = await store().getRun(b)
      const held = await store().updateRuns([
        update(a, { state: stateOf('running', { attempts: 1, step: 'x' }), journal: completed('a', 'A'), now: at(41_000), leaseUntil: at(99_000) }),
        update(b, { journal: completed('a', 'B'), now: at(41_000), leaseUntil: at(99_000) }),
        update(c, { state: stateOf('completed', { attempts: 2 }), journal: [failed('a'), completed('a', null, 2)], now: at(41_000), leaseUntil: null, dueAt: null }),
      ])
      expect(held, 'which updates held').toEqual([true, false, true])
      expect(await store().getRun(a), 'run a').toMatchObject({ status: 'running', state: { step: 'x' }, leaseExpiresAt: at(99_000), updatedAt: at(41_000) })
      expect(await store().getRun(b), 'run b, refused').toEqual(before)
      expect(await store().getRun(c), 'run c').toMatchObject({ status: 'completed', leaseOwner: null, dueAt: null })
      expect(await journalOf(store(), a), 'journal of a').toEqual([[1, 'a', 'step_completed']])
      expect(await store().journal(b), 'journal of b').toEqual([])
      expect(await journalOf(store(), c), 'journal of c').toEqual([
        [1, 'a', 'step_failed'],
        [2, 'a', 'step_completed'],
      ])
      expect(
        (await store().loadResults(c)).map((entry) => entry.result),
        'a null result stays a JSON null',
      ).toEqual([null])
      expect(await store().updateRuns([]), 'an empty batch').toEqual([])
    })

    it('applies none of a batch when one entry breaks the journal’s uniqueness', async () => {
      const [a, b] = [await insertRun(store()), await insertRun(store())]
      for (const id of [a, b]) await lease(store(), id, 'w1')
      await store().updateRun(update(b, { journal: completed('a', 1) }))
      const before = [await store().getRun(a), await store().getRun(b)]
      await expect(store().updateRuns([update(a, { journal: completed('a', 1), now: at(6) }), update(b, { journal: completed('a', 2), now: at(6) })])).rejects.toThrow()
      expect([await store().getRun(a), await store().getRun(b)], 'both runs after the failed batch').toEqual(before)
      expect(await store().journal(a), 'journal of a').toEqual([])
    })

    it('refuses two updates of one run in one batch (INVALID_INPUT), applying none', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const before = await store().getRun(id)
      await expect(store().updateRuns([update(id), update(id, { journal: completed('a', 1) })])).rejects.toMatchObject({ code: 'INVALID_INPUT' })
      expect(await store().getRun(id)).toEqual(before)
    })
  })

  describe('journal', () => {
    it('numbers entries 1, 2, 3… per run, without gaps', async () => {
      const a = await insertRun(store())
      const b = await insertRun(store())
      await lease(store(), a, 'w1')
      await lease(store(), b, 'w1')
      await store().updateRun(update(a, { journal: completed('one', 1) }))
      await store().updateRun(update(b, { journal: completed('one', 1) }))
      await store().updateRun(update(a, { journal: failed('two') }))
      await store().updateRun(update(a, { journal: completed('two', 2, 2) }))
      await store().updateRun(update(a)) // no entry: no seq used
      await store().updateRun(update(a, { journal: completed('three', 3) }))
      expect(await journalOf(store(), a), 'journal of run a').toEqual([
        [1, 'one', 'step_completed'],
        [2, 'two', 'step_failed'],
        [3, 'two', 'step_completed'],
        [4, 'three', 'step_completed'],
      ])
      expect(await journalOf(store(), b), 'journal of run b').toEqual([[1, 'one', 'step_completed']])
    })

    it('appends the entries of one update in order, or none of them', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const crashed = (key: string): NewJournalEntry => failed(key, 1, { name: 'DurableError', message: 'crash', code: 'LEASE_EXPIRED', retryable: true })
      await store().updateRun(update(id, { journal: completed('one', 1) }))
      expect(await store().updateRun(update(id, { journal: [crashed('fan.a'), crashed('fan.b'), completed('fan.c', 'c')] })), 'an update with three entries').toBe(true)
      await store().updateRun(update(id, { journal: [completed('two', 2)] }))
      expect(await journalOf(store(), id), 'journal after a batch').toEqual([
        [1, 'one', 'step_completed'],
        [2, 'fan.a', 'step_failed'],
        [3, 'fan.b', 'step_failed'],
        [4, 'fan.c', 'step_completed'],
        [5, 'two', 'step_completed'],
      ])
      const before = await store().getRun(id)
      await expect(
        store().updateRun(update(id, { now: at(99), journal: [crashed('fan.d'), completed('two', 'again', 2)] })),
        'a batch whose last entry completes a step twice',
      ).rejects.toBeDefined()
      expect(await store().getRun(id), 'the run after a refused batch').toEqual(before)
      expect(await store().journal(id), 'the journal after a refused batch').toHaveLength(5)
      await store().updateRun(update(id, { journal: completed('three', 3) }))
      expect((await journalOf(store(), id)).at(-1), 'the entry after a refused batch takes the next seq').toEqual([6, 'three', 'step_completed'])
    })

    it('refuses a second completion of a step, and then changes nothing', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      await store().updateRun(update(id, { journal: completed('charge', 'first') }))
      const after = await store().getRun(id)
      await expect(
        store().updateRun(update(id, { now: at(99), state: stateOf('completed'), journal: completed('charge', 'second', 2) })),
        'a second step_completed of "charge"',
      ).rejects.toBeDefined()
      expect(await store().getRun(id), 'the run after the refused completion').toEqual(after)
      expect(await store().loadResults(id), 'results after the refused completion').toEqual([{ stepKey: 'charge', stepName: 'charge', kind: 'step_completed', result: 'first' }])
    })

    it('refuses a second compensation of a step, and the same failed attempt twice; failed attempts each get an entry', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const compensated: NewJournalEntry = { stepKey: 'a', stepName: 'a', kind: 'compensated', attempt: 1 }
      await store().updateRun(update(id, { journal: [failed('a', 1), failed('a', 2), completed('a', 'A', 3)] }))
      await expect(store().updateRun(update(id, { journal: failed('a', 2) })), 'the same failed attempt twice').rejects.toBeDefined()
      await store().updateRun(update(id, { journal: compensated }))
      await expect(store().updateRun(update(id, { journal: { ...compensated, attempt: 2 } })), 'a second compensated of "a"').rejects.toBeDefined()
      expect(await journalOf(store(), id), 'the journal').toEqual([
        [1, 'a', 'step_failed'],
        [2, 'a', 'step_failed'],
        [3, 'a', 'step_completed'],
        [4, 'a', 'compensated'],
      ])
    })

    it('reads entries in seq order, leaving out absent results and errors', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const error = { name: 'TypeError', message: 'ünïcode 💥', code: 'E_X', stack: 'at x\nat y', retryable: false }
      await store().updateRun(update(id, { now: at(1), journal: failed('a', 1, error) }))
      await store().updateRun(update(id, { now: at(2), journal: completed('a', null, 2) }))
      await store().updateRun(update(id, { now: at(3), journal: { stepKey: 'a', stepName: 'a', kind: 'compensated', attempt: 1 } }))
      expect(await store().journal(id), 'journal entries').toStrictEqual([
        { seq: 1, stepKey: 'a', stepName: 'a', kind: 'step_failed', attempt: 1, error, createdAt: at(1) },
        { seq: 2, stepKey: 'a', stepName: 'a', kind: 'step_completed', attempt: 2, result: null, createdAt: at(2) },
        { seq: 3, stepKey: 'a', stepName: 'a', kind: 'compensated', attempt: 1, createdAt: at(3) },
      ])
      expect(await store().journal('R-unknown'), 'journal of an unknown run').toEqual([])
    })

    it('loads the entries that carry results, in journal order, with JSON intact', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      const results: Array<[string, unknown]> = [
        ['z-last-name-first', { ключ: ['значение', 1.25, { ok: true }], emoji: '🧾', nested: [[[null]]] }],
        ['notify.email', 'sent ✉️'],
        ['a', 42],
        ['poll#3', [{ status: 'done' }]],
      ]
      for (const [stepKey, result] of results) await store().updateRun(update(id, { journal: { ...completed(stepKey, result), stepName: stepKey.split('.')[0]! } }))
      await store().updateRun(update(id, { journal: failed('x') }))
      await store().updateRun(update(id, { journal: { stepKey: 'go', stepName: 'go', kind: 'signal_received', attempt: 1, resultJson: '{"by":"ada"}' } }))
      expect(await store().loadResults(id), 'loadResults').toStrictEqual([
        ...results.map(([stepKey, result]) => ({ stepKey, stepName: stepKey.split('.')[0], kind: 'step_completed', result })),
        { stepKey: 'go', stepName: 'go', kind: 'signal_received', result: { by: 'ada' } },
      ])
    })
  })
}
