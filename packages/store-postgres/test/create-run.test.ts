import { sql } from 'kysely'
import { describe, expect, it, vi } from 'vitest'
import { at, insertRun, newId, stateOf, TEST_SHAPE, useBackends } from './backends.ts'

const backends = useBackends()

describe.each(backends)('createRun ($name)', (backend) => {
  it('inserts a run that is due at once and unleased', async () => {
    const store = await backend.newStore()
    const id = newId()
    const result = await store.createRun({
      id,
      workflowName: 'checkout',
      workflowVersion: null,
      shapeHash: TEST_SHAPE,
      inputJson: '{"sku":"A1","qty":2}',
      state: stateOf(),
      idempotencyKey: null,
      parentRunId: 'parent-1',
      now: at(5),
    })
    expect(result).toEqual({ runId: id, created: true })
    expect(await store.getRun(id)).toEqual({
      id,
      workflowName: 'checkout',
      workflowVersion: null,
      shapeHash: TEST_SHAPE,
      status: 'pending',
      input: { sku: 'A1', qty: 2 },
      state: stateOf(),
      error: null,
      parentRunId: 'parent-1',
      idempotencyKey: null,
      dueAt: at(5),
      leaseOwner: null,
      leaseExpiresAt: null,
      cancelRequest: null,
      flow: { priority: 0, concurrency: null, rate: null },
      deadlineAt: null,
      createdAt: at(5),
      updatedAt: at(5),
    })
  })

  it('returns the first run for a repeated idempotency key, without calling the callback', async () => {
    const store = await backend.newStore()
    const first = await insertRun(store, { idempotencyKey: 'order-42' })
    const callback = vi.fn(async () => {})
    const again = await store.createRun(
      {
        id: newId(),
        workflowName: 'wf',
        workflowVersion: null,
        shapeHash: TEST_SHAPE,
        inputJson: '{}',
        state: stateOf(),
        idempotencyKey: 'order-42',
        parentRunId: null,
        now: at(9),
      },
      callback,
    )
    expect(again).toEqual({ runId: first, created: false })
    expect(callback).not.toHaveBeenCalled()
    const { runs } = await store.listRuns({ limit: 10 })
    expect(runs.map((run) => run.id)).toEqual([first])
  })

  it('scopes idempotency keys to the workflow', async () => {
    const store = await backend.newStore()
    const a = await insertRun(store, { workflowName: 'a', idempotencyKey: 'k' })
    const b = await insertRun(store, { workflowName: 'b', idempotencyKey: 'k' })
    expect(a).not.toBe(b)
  })

  it('commits the callback writes with the run', async () => {
    const store = await backend.newStore()
    await sql`CREATE TABLE ${sql.id(store.schema, 'side')} (run_id text)`.execute(store.db)
    const id = newId()
    await store.createRun(
      { id, workflowName: 'wf', workflowVersion: null, shapeHash: TEST_SHAPE, inputJson: '{}', state: stateOf(), idempotencyKey: null, parentRunId: null, now: at(0) },
      async (tx) => {
        await sql`INSERT INTO ${sql.id(store.schema, 'side')} VALUES (${id})`.execute(tx)
      },
    )
    const { rows } = await sql<{ run_id: string }>`SELECT run_id FROM ${sql.id(store.schema, 'side')}`.execute(store.db)
    expect(rows).toEqual([{ run_id: id }])
  })

  it('writes nothing when the callback throws', async () => {
    const store = await backend.newStore()
    await sql`CREATE TABLE ${sql.id(store.schema, 'side')} (run_id text)`.execute(store.db)
    const id = newId()
    const failing = store.createRun(
      { id, workflowName: 'wf', workflowVersion: null, shapeHash: TEST_SHAPE, inputJson: '{}', state: stateOf(), idempotencyKey: 'k', parentRunId: null, now: at(0) },
      async (tx) => {
        await sql`INSERT INTO ${sql.id(store.schema, 'side')} VALUES (${id})`.execute(tx)
        throw new Error('queue refused the job')
      },
    )
    await expect(failing).rejects.toThrow('queue refused the job')
    expect(await store.getRun(id)).toBeUndefined()
    const { rows } = await sql`SELECT * FROM ${sql.id(store.schema, 'side')}`.execute(store.db)
    expect(rows).toEqual([])
    // The key is free again.
    expect(
      (
        await store.createRun({
          id: newId(),
          workflowName: 'wf',
          workflowVersion: null,
          shapeHash: TEST_SHAPE,
          inputJson: '{}',
          state: stateOf(),
          idempotencyKey: 'k',
          parentRunId: null,
          now: at(0),
        })
      ).created,
    ).toBe(true)
  })

  it('round-trips unicode and nested JSON exactly', async () => {
    const store = await backend.newStore()
    const input = {
      text: 'héllo wörld — 日本語 🎉 \u2028 "quotes" \\ back\nslash',
      nested: { list: [1, -2.5, 0.30000000000000004, 1e-7, 1.5e300, true, null, [[]], {}], empty: '' },
      ['kéy 🔑']: { deep: { deeper: [{ a: [{ b: 'c' }] }] } },
    }
    const json = await insertRun(store, { input })
    expect((await store.getRun(json))?.input).toStrictEqual(input)
    const scalar = await insertRun(store, { input: 'just a string' })
    expect((await store.getRun(scalar))?.input).toBe('just a string')
  })

  it('returns undefined for an unknown run', async () => {
    const store = await backend.newStore()
    expect(await store.getRun('nope')).toBeUndefined()
  })

  it('refuses a run id that exists already', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await expect(insertRun(store, { id })).rejects.toMatchObject({ code: '23505' })
  })
})
