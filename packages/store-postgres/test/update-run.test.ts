import type { NewJournalEntry, RunUpdate } from '@durable/core'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { at, insertRun, lease, stateOf, useBackends } from './backends.ts'

const backends = useBackends()

const completed = (stepKey: string, result: unknown, attempt = 1): NewJournalEntry => ({
  stepKey,
  stepName: stepKey,
  kind: 'step_completed',
  attempt,
  resultJson: JSON.stringify(result),
})

const change = (runId: string, changes: Partial<RunUpdate> = {}): RunUpdate => ({
  runId,
  owner: 'w1',
  state: stateOf({ status: 'running', step: 'b' }),
  dueAt: at(10),
  leaseUntil: at(60_000),
  now: at(5),
  ...changes,
})

describe.each(backends)('updateRun ($name)', (backend) => {
  it("applies the owner's update: state, status, error, due time, lease", async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const error = { message: 'card declined', code: 'NON_RETRYABLE', step: 'charge' }
    const state = stateOf({ status: 'compensating', step: 'c', attempts: 3, error })
    expect(await store.updateRun(change(id, { state, dueAt: at(77), leaseUntil: at(90_000), now: at(50) }))).toBe(true)
    expect(await store.getRun(id)).toMatchObject({
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

  it('stores the status and the error once, in their columns: the state column holds neither', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const error = { message: 'card declined', code: 'NON_RETRYABLE', step: 'charge' }
    await store.updateRun(change(id, { state: stateOf({ status: 'compensating', step: 'c', error }) }))
    const keys = await store.transaction(async (tx) => {
      const { rows } = await sql<{ keys: string[] }>`SELECT array(SELECT jsonb_object_keys(state)) AS keys FROM ${sql.id(store.schema, 'runs')} WHERE id = ${id}`.execute(tx)
      return rows[0]!.keys
    })
    expect(keys).toContain('step')
    expect(keys).not.toContain('status')
    expect(keys).not.toContain('error')
    expect(await store.getRun(id)).toMatchObject({ status: 'compensating', error, state: { status: 'compensating', error } })
  })

  it('stores the due time once: the row’s due_at is the wake time, the node’s timer is in the state’s cursor', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    // A sleep until 3 600 s, woken earlier (a cancel came): the row is due at 5 s, the timer stays.
    const state = stateOf({ status: 'waiting', step: 'nap', cursor: { kind: 'timer', notBefore: at(3_600_000).toISOString() } })
    expect(await store.updateRun(change(id, { state, dueAt: at(5), leaseUntil: null }))).toBe(true)
    const column = await store.transaction(async (tx) => {
      const { rows } = await sql<{ state: unknown }>`SELECT state FROM ${sql.id(store.schema, 'runs')} WHERE id = ${id}`.execute(tx)
      return rows[0]!.state
    })
    expect(Object.keys(typeof column === 'string' ? JSON.parse(column) : (column as object))).not.toContain('dueAt')
    expect(await store.getRun(id)).toMatchObject({ dueAt: at(5), state: { cursor: { kind: 'timer', notBefore: at(3_600_000).toISOString() } } })
  })

  it('reads a state column written with a run-level dueAt in the new shape: the timer in the cursor', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    const legacy = {
      step: 'fan',
      attempt: 1,
      dueAt: at(3_000).toISOString(),
      attempts: 2,
      cursor: { kind: 'parallel', branches: { a: { attempt: 1, dueAt: null, outcome: 'completed' }, b: { attempt: 2, dueAt: at(3_000).toISOString() } } },
    }
    await store.transaction(async (tx) => {
      await sql`UPDATE ${sql.id(store.schema, 'runs')} SET state = ${JSON.stringify(legacy)}::jsonb, status = 'running' WHERE id = ${id}`.execute(tx)
    })
    const run = await store.getRun(id)
    expect(run?.state).toEqual({
      status: 'running',
      step: 'fan',
      attempt: 1,
      attempts: 2,
      error: null,
      cursor: { kind: 'parallel', branches: { a: { attempt: 1, outcome: 'completed' }, b: { attempt: 2, notBefore: at(3_000).toISOString() } } },
    })
  })

  it('keeps a past due time while the worker holds the lease, so the row updates in place', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const first = (await store.getRun(id))!.dueAt!
    expect(await store.updateRun(change(id, { dueAt: at(5), now: at(5), journal: completed('a', 1) }))).toBe(true)
    expect(await store.updateRun(change(id, { dueAt: at(6), now: at(6), journal: completed('b', 2) }))).toBe(true)
    expect((await store.getRun(id))!.dueAt).toEqual(first)
    // A due time in the future (a backoff) or none (parked) is written as given.
    expect(await store.updateRun(change(id, { dueAt: at(9_000), now: at(7), leaseUntil: null }))).toBe(true)
    expect((await store.getRun(id))!.dueAt).toEqual(at(9_000))
  })

  it('gives the lease back when leaseUntil is null', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    expect(await store.updateRun(change(id, { leaseUntil: null, dueAt: null }))).toBe(true)
    expect(await store.getRun(id)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, dueAt: null })
  })

  it('is fenced: a worker without the lease changes nothing and journals nothing', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    const before = await store.getRun(id)
    expect(await store.updateRun(change(id, { journal: completed('a', 1) }))).toBe(false) // nobody holds it
    await lease(store, id, 'w1')
    const leased = await store.getRun(id)
    expect(await store.updateRun(change(id, { owner: 'w2', journal: completed('a', 1) }))).toBe(false)
    expect(await store.updateRun(change(id, { owner: 'w2' }))).toBe(false)
    expect(await store.updateRun(change('nope', { journal: completed('a', 1) }))).toBe(false)
    expect(await store.getRun(id)).toEqual(leased)
    // Claiming a pending run shows it running; the run has one status, so its state says so too.
    expect(leased).toEqual({ ...before, status: 'running', state: { ...before?.state, status: 'running' }, leaseOwner: 'w1', leaseExpiresAt: at(30_000) })
    expect(await store.journal(id)).toEqual([])
  })

  it('numbers journal entries 1, 2, 3 per run', async () => {
    const store = await backend.newStore()
    const a = await insertRun(store)
    const b = await insertRun(store)
    await lease(store, a, 'w1')
    await lease(store, b, 'w1')
    await store.updateRun(change(a, { journal: completed('one', 1) }))
    await store.updateRun(change(b, { journal: completed('one', 1) }))
    await store.updateRun(change(a, { journal: { stepKey: 'two', stepName: 'two', kind: 'step_failed', attempt: 1, error: { name: 'Error', message: 'boom', retryable: true } } }))
    await store.updateRun(change(a, { journal: completed('two', 2, 2) }))
    await store.updateRun(change(a)) // no journal entry: no seq used
    await store.updateRun(change(a, { journal: completed('three', 3) }))
    expect((await store.journal(a)).map((entry) => [entry.seq, entry.stepKey, entry.kind])).toEqual([
      [1, 'one', 'step_completed'],
      [2, 'two', 'step_failed'],
      [3, 'two', 'step_completed'],
      [4, 'three', 'step_completed'],
    ])
    expect((await store.journal(b)).map((entry) => entry.seq)).toEqual([1])
  })

  it('appends the several entries of one update in order, or none of them', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const failed = (key: string): NewJournalEntry => ({
      stepKey: key,
      stepName: 'fan',
      kind: 'step_failed',
      attempt: 1,
      error: { name: 'DurableError', message: 'crash', code: 'LEASE_EXPIRED', retryable: true },
    })
    await store.updateRun(change(id, { journal: completed('one', 1) }))
    expect(await store.updateRun(change(id, { journal: [failed('fan.a'), failed('fan.b'), completed('fan.c', 'c')] }))).toBe(true)
    await store.updateRun(change(id, { journal: [completed('two', 2)] }))
    expect((await store.journal(id)).map((entry) => [entry.seq, entry.stepKey, entry.kind])).toEqual([
      [1, 'one', 'step_completed'],
      [2, 'fan.a', 'step_failed'],
      [3, 'fan.b', 'step_failed'],
      [4, 'fan.c', 'step_completed'],
      [5, 'two', 'step_completed'],
    ])
    const before = await store.getRun(id)
    // One entry of the batch breaks the journal's uniqueness: the whole update is refused.
    await expect(store.updateRun(change(id, { now: at(99), journal: [failed('fan.d'), completed('two', 'again', 2)] }))).rejects.toBeDefined()
    expect(await store.getRun(id)).toEqual(before)
    expect(await store.journal(id)).toHaveLength(5)
    expect(await store.updateRun(change(id, { owner: 'w2', journal: [failed('fan.e')] }))).toBe(false)
    expect(await store.journal(id)).toHaveLength(5)
  })

  it('refuses to journal a completed step twice and then changes nothing', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    await store.updateRun(change(id, { journal: completed('charge', 'first') }))
    const after = await store.getRun(id)
    const again = store.updateRun(change(id, { now: at(99), state: stateOf({ status: 'completed' }), journal: completed('charge', 'second', 2) }))
    await expect(again).rejects.toMatchObject({ code: '23505' })
    expect(await store.getRun(id)).toEqual(after)
    expect(await store.loadResults(id)).toEqual([{ stepKey: 'charge', stepName: 'charge', kind: 'step_completed', result: 'first' }])
  })

  it('runs in the given transaction: a throwing transaction writes nothing', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const before = await store.getRun(id)
    const failing = store.transaction(async (tx) => {
      expect(await store.updateRun(change(id, { journal: completed('pay', 1) }), tx)).toBe(true)
      await sql`UPDATE ${sql.id(store.schema, 'runs')} SET workflow_name = 'changed'`.execute(tx)
      throw new Error('handler failed')
    })
    await expect(failing).rejects.toThrow('handler failed')
    expect(await store.getRun(id)).toEqual(before)
    expect(await store.journal(id)).toEqual([])

    const value = await store.transaction(async (tx) => {
      await store.updateRun(change(id, { journal: completed('pay', 1) }), tx)
      return 'done'
    })
    expect(value).toBe('done')
    expect(await store.journal(id)).toHaveLength(1)
  })
})

describe.each(backends)('journal and loadResults ($name)', (backend) => {
  it('maps entries in seq order, leaving out absent results and errors', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const error = { name: 'TypeError', message: 'ünïcode 💥', code: 'E_X', stack: 'at x\nat y', retryable: false }
    await store.updateRun(change(id, { now: at(1), journal: { stepKey: 'a', stepName: 'a', kind: 'step_failed', attempt: 1, error } }))
    await store.updateRun(change(id, { now: at(2), journal: completed('a', null, 2) }))
    await store.updateRun(change(id, { now: at(3), journal: { stepKey: 'a', stepName: 'a', kind: 'compensated', attempt: 1 } }))
    expect(await store.journal(id)).toStrictEqual([
      { seq: 1, stepKey: 'a', stepName: 'a', kind: 'step_failed', attempt: 1, error, createdAt: at(1) },
      { seq: 2, stepKey: 'a', stepName: 'a', kind: 'step_completed', attempt: 2, result: null, createdAt: at(2) },
      { seq: 3, stepKey: 'a', stepName: 'a', kind: 'compensated', attempt: 1, createdAt: at(3) },
    ])
    expect(await store.journal('nope')).toEqual([])
  })

  it('loads step results in journal order, with JSON intact', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    const results: Array<[string, unknown]> = [
      ['z-last-name-first', { ключ: ['значение', 1.25, { ok: true }], emoji: '🧾', nested: [[[null]]] }],
      ['notify.email', 'sent ✉️'],
      ['a', 42],
      ['poll#3', [{ status: 'done' }]],
    ]
    for (const [stepKey, result] of results) await store.updateRun(change(id, { journal: completed(stepKey, result) }))
    await store.updateRun(change(id, { journal: { stepKey: 'x', stepName: 'x', kind: 'step_failed', attempt: 1, error: { name: 'E', message: 'm', retryable: true } } }))
    expect(await store.loadResults(id)).toStrictEqual(results.map(([stepKey, result]) => ({ stepKey, stepName: stepKey, kind: 'step_completed', result })))
  })
})
