import type { RunChange } from '@durable/core'
import { describe, expect, it } from 'vitest'
import { at, insertRun, journalOf, lease, newId, stateOf, update, type SuiteContext } from './fixtures.js'

const signal = (name: string, payload: unknown): RunChange => ({ signal: { name, payloadJson: JSON.stringify(payload) } })

/** Cases of `SignalStore`: changeRun, takeSignal, consumeSignal, pendingSignals. */
export function signalCases({ store }: SuiteContext): void {
  describe('signals', () => {
    it('keeps signals until taken, and hands out the oldest of a name first', async () => {
      const id = await insertRun(store())
      expect(await store().takeSignal(id, 'go'), 'takeSignal before any signal').toBeUndefined()
      await store().changeRun(id, at(1), () => signal('go', { n: 1 }))
      await store().changeRun(id, at(2), () => signal('other', 'x'))
      await store().changeRun(id, at(3), () => signal('go', { n: 2 }))
      const first = await store().takeSignal(id, 'go')
      expect(first?.payload, 'the first signal "go" taken').toEqual({ n: 1 })
      expect(await store().takeSignal(id, 'go'), 'takeSignal does not consume').toEqual(first)
      expect(await store().consumeSignal(first!.id, at(4)), 'consumeSignal of a fresh signal').toBe(true)
      expect((await store().takeSignal(id, 'go'))?.payload, 'the next signal "go"').toEqual({ n: 2 })
      expect((await store().takeSignal(id, 'other'))?.payload, 'signal "other"').toBe('x')
      expect(await store().takeSignal(await insertRun(store()), 'go'), 'signals of another run').toBeUndefined()
    })

    it('consumes a signal once: a second consume says false', async () => {
      const id = await insertRun(store())
      await store().changeRun(id, at(1), () => signal('go', null))
      const taken = (await store().takeSignal(id, 'go'))!
      const both = await Promise.all([store().consumeSignal(taken.id, at(2)), store().consumeSignal(taken.id, at(2))])
      expect(both.filter(Boolean).length, 'simultaneous consumes that succeeded').toBe(1)
      expect(await store().consumeSignal(taken.id, at(3)), 'a later consume').toBe(false)
      expect(await store().takeSignal(id, 'go'), 'takeSignal after the only signal was consumed').toBeUndefined()
    })

    it('lists the signals not consumed yet, in the order they were kept, with when each was sent', async () => {
      const id = await insertRun(store())
      expect(await store().pendingSignals(id), 'pendingSignals before any signal').toEqual([])
      await store().changeRun(id, at(1), () => signal('go', { n: 1 }))
      await store().changeRun(id, at(2), () => signal('other', 'x'))
      await store().changeRun(id, at(3), () => signal('go', null))
      const pending = await store().pendingSignals(id)
      expect(
        pending.map(({ name, payload, sentAt }) => ({ name, payload, sentAt })),
        'the pending signals',
      ).toEqual([
        { name: 'go', payload: { n: 1 }, sentAt: at(1) },
        { name: 'other', payload: 'x', sentAt: at(2) },
        { name: 'go', payload: null, sentAt: at(3) },
      ])
      const first = (await store().takeSignal(id, 'go'))!
      expect(pending[0]?.id, 'the id pendingSignals gives, as takeSignal gives it').toBe(first.id)
      await store().consumeSignal(first.id, at(4))
      expect(
        (await store().pendingSignals(id)).map((s) => s.payload),
        'pending signals after one was consumed',
      ).toEqual(['x', null])
      expect(await store().pendingSignals(await insertRun(store())), 'pending signals of another run').toEqual([])
      expect(await store().pendingSignals(newId()), 'pending signals of an unknown run').toEqual([])
    })
  })

  describe('changeRun', () => {
    it('applies the change under the lock — a retry request, a cancel request, a signal — and returns the run as it was', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      await store().updateRun(
        update(id, { state: stateOf('failed', { error: { message: 'stop' } }), journal: { stepKey: 'a', stepName: 'a', kind: 'step_completed', attempt: 1, resultJson: '1' } }),
      )
      const before = await store().getRun(id)
      const returned = await store().changeRun(id, at(70), (run) => {
        expect(run, 'the run decide() sees').toEqual(before)
        return {
          retryRequest: true,
          dueAt: at(80),
          revokeLease: true,
          cancelRequest: { reason: 'no longer needed' },
          signal: { name: 'go', payloadJson: '{"ok":true}' },
        }
      })
      expect(returned, 'what changeRun returns').toEqual(before)
      const after = await store().getRun(id)
      expect(after, 'the run after changeRun').toMatchObject({
        status: 'pending',
        dueAt: at(80),
        leaseOwner: null,
        leaseExpiresAt: null,
        cancelRequest: { reason: 'no longer needed' },
        updatedAt: at(70),
      })
      // The run has one status, the row's: the state reads it from there, the rest of it only a worker writes.
      expect(after?.state, 'the state, which only a worker writes').toEqual({ ...before?.state, status: 'pending' })
      expect(await journalOf(store(), id), 'journal after changeRun').toEqual([[1, 'a', 'step_completed']])
      expect((await store().takeSignal(id, 'go'))?.payload, 'the signal changeRun kept').toEqual({ ok: true })
      expect(await store().updateRun(update(id, { now: at(71) })), 'update by a worker whose lease was revoked').toBe(false)
    })

    it('clears a cancel request spent before the run failed when a retry is asked for', async () => {
      const id = await insertRun(store())
      await store().changeRun(id, at(5), () => ({ cancelRequest: { reason: 'during the rollback' } }))
      await store().changeRun(id, at(6), () => ({ retryRequest: true, dueAt: at(6) }))
      expect(await store().getRun(id), 'the run after the retry request').toMatchObject({ status: 'pending', cancelRequest: null })
      await store().changeRun(id, at(7), () => ({ cancelRequest: { reason: 'after the retry' } }))
      expect((await store().getRun(id))?.cancelRequest, 'a cancel asked for after the retry').toEqual({ reason: 'after the retry' })
    })

    it('writes nothing when decide throws, and the error reaches the caller', async () => {
      const id = await insertRun(store())
      const before = await store().getRun(id)
      await expect(
        store().changeRun(id, at(5), () => {
          throw new Error('refused (expected by the test)')
        }),
        'changeRun whose decide throws',
      ).rejects.toThrow('refused')
      expect(await store().getRun(id), 'the run after a refused change').toEqual(before)
    })

    it('rolls the whole change back when inTransaction throws', async () => {
      const id = await insertRun(store())
      const before = await store().getRun(id)
      await expect(
        store().changeRun(
          id,
          at(5),
          () => ({ dueAt: at(6), cancelRequest: { reason: null }, retryRequest: true, signal: { name: 'go', payloadJson: '1' } }),
          async () => {
            throw new Error('dispatch failed (expected by the test)')
          },
        ),
        'changeRun whose inTransaction throws',
      ).rejects.toThrow('dispatch failed')
      expect(await store().getRun(id), 'the run after a rolled-back change').toEqual(before)
      expect(await store().journal(id), 'the journal after a rolled-back change').toEqual([])
      expect(await store().takeSignal(id, 'go'), 'the signal of a rolled-back change').toBeUndefined()
    })

    it('returns undefined for an unknown run without calling decide', async () => {
      let called = false
      const result = await store().changeRun(newId(), at(0), () => {
        called = true
        return {}
      })
      expect(result, 'changeRun of an unknown run').toBeUndefined()
      expect(called, 'decide was called for an unknown run').toBe(false)
    })

    it('serializes simultaneous changes of one run: none is lost', async () => {
      const id = await insertRun(store())
      await Promise.all(Array.from({ length: 5 }, (_, i) => store().changeRun(id, at(i), () => signal('go', i))))
      const payloads: unknown[] = []
      for (let signal = await store().takeSignal(id, 'go'); signal !== undefined; signal = await store().takeSignal(id, 'go')) {
        payloads.push(signal.payload)
        await store().consumeSignal(signal.id, at(9))
      }
      expect(payloads.sort(), 'payloads of five simultaneous signals').toEqual([0, 1, 2, 3, 4])
    })
  })
}
