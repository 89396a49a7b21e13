import { describe, expect, it } from 'vitest'
import { at, completed, insertRun, journalOf, lease, stateOf, update, type SuiteContext } from './fixtures.js'

/** Cases of `StoreLifecycle.transaction`: commit, rollback on throw, rollback after a refused fence. */
export function transactionCases({ store }: SuiteContext): void {
  /** A leased run with one unconsumed signal "go"; returns its id and the signal's id. */
  async function leasedRunWithSignal(): Promise<{ id: string; signalId: string }> {
    const id = await insertRun(store())
    await lease(store(), id, 'w1')
    await store().changeRun(id, at(1), () => ({ signal: { name: 'go', payloadJson: '"payload"' } }))
    return { id, signalId: (await store().takeSignal(id, 'go'))!.id }
  }

  describe('transactions', () => {
    it('commits every write of fn when it resolves, and returns its value; fn reads its own writes', async () => {
      const { id, signalId } = await leasedRunWithSignal()
      const value = await store().transaction(async (tx) => {
        expect(await store().updateRun(update(id, { state: stateOf('running', { attempts: 1 }), journal: completed('pay', 1) }), tx), 'fenced update in the transaction').toBe(true)
        expect(await store().consumeSignal(signalId, at(2), tx), 'consume in the transaction').toBe(true)
        expect((await store().getRun(id, tx))?.state, 'getRun in the transaction sees its update').toEqual(stateOf('running', { attempts: 1 }))
        expect(await store().takeSignal(id, 'go', tx), 'takeSignal in the transaction sees its consume').toBeUndefined()
        return 'done'
      })
      expect(value, 'what transaction returns').toBe('done')
      expect(await journalOf(store(), id), 'journal after the commit').toEqual([[1, 'pay', 'step_completed']])
      expect(await store().takeSignal(id, 'go'), 'the signal consumed in the committed transaction').toBeUndefined()
    })

    it('rolls back every write of fn when it throws, and rethrows', async () => {
      const { id, signalId } = await leasedRunWithSignal()
      const before = await store().getRun(id)
      const failing = store().transaction(async (tx) => {
        await store().updateRun(update(id, { journal: completed('pay', 1) }), tx)
        await store().consumeSignal(signalId, at(2), tx)
        throw new Error('handler failed (expected by the test)')
      })
      await expect(failing, 'a transaction whose fn throws').rejects.toThrow('handler failed')
      expect(await store().getRun(id), 'the run after the rollback').toEqual(before)
      expect(await store().journal(id), 'the journal after the rollback').toEqual([])
      expect((await store().takeSignal(id, 'go'))?.id, 'the signal consumed in the rolled-back transaction').toBe(signalId)
      await store().updateRun(update(id, { journal: completed('pay', 1) }))
      expect(await journalOf(store(), id), 'seq after a rolled-back entry').toEqual([[1, 'pay', 'step_completed']])
    })

    it('rolls back, yet returns fn’s value, when a fenced update in it was refused', async () => {
      const { id, signalId } = await leasedRunWithSignal()
      await lease(store(), id, 'new-worker', at(60_000)) // w1's lease expired: taken over
      const result = await store().transaction(async (tx) => {
        expect(await store().consumeSignal(signalId, at(60_001), tx), 'consume in the transaction').toBe(true)
        return store().updateRun(update(id, { now: at(60_001), journal: completed('pay', 1) }), tx)
      })
      expect(result, 'the refused update’s result, returned by transaction').toBe(false)
      expect((await store().takeSignal(id, 'go'))?.id, 'the signal consumed beside a refused update').toBe(signalId)
      expect(await store().journal(id), 'the journal').toEqual([])
      expect((await store().getRun(id))?.leaseOwner, 'the lease owner').toBe('new-worker')
    })

    it('commits nothing of a transaction in which a statement failed, even when fn caught the error, and says so', async () => {
      const id = await insertRun(store())
      await lease(store(), id, 'w1')
      await store().updateRun(update(id, { journal: completed('a', 1) }))
      const caught = store().transaction(async (tx) => {
        await store().updateRun(update(id, { journal: completed('b', 2) }), tx)
        await store()
          .updateRun(update(id, { journal: completed('a', 'again', 2) }), tx)
          .then(
            () => expect.fail('a second completion of "a" was accepted'),
            () => {},
          )
        return 'caught'
      })
      // As PostgreSQL does: the COMMIT of a failed transaction rolls it back, and Kysely reports it.
      await expect(caught, 'a transaction whose fn caught a failed statement').rejects.toThrow(/rolled back/)
      expect(await journalOf(store(), id), 'the journal').toEqual([[1, 'a', 'step_completed']])
    })
  })
}
