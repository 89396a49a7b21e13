import type { RunUpdate } from '@durable/core'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { at, insertRun, lease, stateOf, useBackends } from './backends.ts'

const backends = useBackends()

const update = (runId: string, owner: string): RunUpdate => ({
  runId,
  owner,
  state: stateOf({ status: 'running', step: 'b' }),
  dueAt: at(10),
  leaseUntil: at(60_000),
  now: at(5),
  journal: { stepKey: 'book', stepName: 'book', kind: 'step_completed', attempt: 1, resultJson: '"booked"' },
})

describe.each(backends)('a transaction with a refused fenced write ($name)', (backend) => {
  it('rolls back the other writes of the transaction, and still returns its result', async () => {
    const store = await backend.newStore()
    await sql`create table ${sql.id(store.schema, 'ledger')} (run_id text not null)`.execute(store.db)
    const id = await insertRun(store)
    await lease(store, id, 'paused-worker', at(0), 1000)
    await lease(store, id, 'new-worker', at(2000)) // the paused worker's lease expired: taken over

    const result = await store.transaction(async (tx) => {
      await sql`insert into ${sql.id(store.schema, 'ledger')} (run_id) values (${id})`.execute(tx)
      return store.updateRun(update(id, 'paused-worker'), tx)
    })
    expect(result).toBe(false)
    expect((await sql`select run_id from ${sql.id(store.schema, 'ledger')}`.execute(store.db)).rows).toEqual([])
    expect(await store.journal(id)).toEqual([])
    expect((await store.getRun(id))?.leaseOwner).toBe('new-worker')
  })

  it('commits them with the journal entry while the lease holds', async () => {
    const store = await backend.newStore()
    await sql`create table ${sql.id(store.schema, 'ledger')} (run_id text not null)`.execute(store.db)
    const id = await insertRun(store)
    await lease(store, id, 'worker')
    const result = await store.transaction(async (tx) => {
      await sql`insert into ${sql.id(store.schema, 'ledger')} (run_id) values (${id})`.execute(tx)
      return store.updateRun(update(id, 'worker'), tx)
    })
    expect(result).toBe(true)
    expect((await sql`select run_id from ${sql.id(store.schema, 'ledger')}`.execute(store.db)).rows).toEqual([{ run_id: id }])
    expect((await store.journal(id)).map((e) => [e.stepKey, e.result])).toEqual([['book', 'booked']])
  })
})
