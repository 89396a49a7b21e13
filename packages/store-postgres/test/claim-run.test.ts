import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { at, definitions, insertRun, lease, newId, stateOf, useBackends } from './backends.ts'

const backends = useBackends()

const claimAt = (now: Date, owner = 'w1', workflowNames = ['wf']) => ({
  owner,
  now,
  leaseUntil: new Date(now.getTime() + 30_000),
  definitions: definitions(...workflowNames),
})

describe.each(backends)('claimRun ($name)', (backend) => {
  it('leases a due run and returns it', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store, { now: at(0) })
    const result = await store.claimRun(id, claimAt(at(10)))
    expect(result).toMatchObject({ claimed: true, previousLeaseExpired: false })
    if (!result.claimed) throw new Error('not claimed')
    expect(result.run).toMatchObject({ id, workflowName: 'wf', input: { n: 1 }, leaseOwner: 'w1', leaseExpiresAt: at(30_010), dueAt: at(0) })
    expect(await store.getRun(id)).toEqual(result.run)
  })

  it('says "missing" for an unknown run', async () => {
    const store = await backend.newStore()
    expect(await store.claimRun('nope', claimAt(at(0)))).toEqual({ claimed: false, reason: 'missing', dueAt: null })
  })

  it('says "ended" for completed, failed and cancelled runs', async () => {
    const store = await backend.newStore()
    for (const status of ['completed', 'failed', 'cancelled'] as const) {
      const id = await insertRun(store)
      await lease(store, id, 'w0')
      await store.updateRun({ runId: id, owner: 'w0', state: stateOf({ status }), dueAt: at(0), leaseUntil: null, now: at(1) })
      expect(await store.claimRun(id, claimAt(at(10)))).toEqual({ claimed: false, reason: 'ended', dueAt: at(0) })
    }
  })

  it('says "unregistered" for a run of a workflow the worker does not know', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store, { workflowName: 'new-workflow' })
    expect(await store.claimRun(id, claimAt(at(10), 'w1', ['wf', 'other']))).toEqual({ claimed: false, reason: 'unregistered', dueAt: at(0) })
    expect(await store.claimRun(id, claimAt(at(10), 'w1', []))).toMatchObject({ reason: 'unregistered' })
    expect((await store.getRun(id))?.leaseOwner).toBeNull()
  })

  it('claims only a run started with one of its definitions: name, version and shape', async () => {
    const store = await backend.newStore()
    const create = (workflowVersion: string | null, shapeHash: string | null) =>
      store
        .createRun({ id: newId(), workflowName: 'wf', workflowVersion, shapeHash, inputJson: '{}', state: stateOf(), idempotencyKey: null, parentRunId: null, now: at(0) })
        .then((r) => r.runId)
    const v1 = await create('1', 'shape-a')
    const v2 = await create('2', 'shape-b')
    const legacy = await create(null, null)
    const defs = (...keys: Array<[string | null, string]>) => ({ ...claimAt(at(10)), definitions: keys.map(([version, shapeHash]) => ({ name: 'wf', version, shapeHash })) })
    // Same name and version, other shape: the code changed without a new version.
    expect(await store.claimRun(v1, defs(['1', 'shape-b']))).toMatchObject({ claimed: false, reason: 'unregistered' })
    expect(await store.claimRun(v1, defs(['2', 'shape-a']))).toMatchObject({ claimed: false, reason: 'unregistered' })
    expect(await store.claimRun(v1, defs([null, 'shape-a']))).toMatchObject({ claimed: false, reason: 'unregistered' })
    expect(await store.claimRun(v2, defs(['1', 'shape-a'], ['2', 'shape-b']))).toMatchObject({ claimed: true, run: { workflowVersion: '2', shapeHash: 'shape-b' } })
    expect(await store.claimRun(v1, defs(['1', 'shape-a']))).toMatchObject({ claimed: true, run: { workflowVersion: '1', shapeHash: 'shape-a' } })
    // A run from before shapes were recorded: its name and version decide.
    expect(await store.claimRun(legacy, defs(['1', 'shape-a']))).toMatchObject({ claimed: false, reason: 'unregistered' })
    expect(await store.claimRun(legacy, defs([null, 'whatever']))).toMatchObject({ claimed: true, run: { workflowVersion: null, shapeHash: null } })
  })

  it('keeps a shape once, and reads it back by its hash', async () => {
    const store = await backend.newStore()
    const create = (shape: string) =>
      store.createRun({
        id: newId(),
        workflowName: 'wf',
        workflowVersion: null,
        shapeHash: 'h1',
        shape,
        inputJson: '{}',
        state: stateOf(),
        idempotencyKey: null,
        parentRunId: null,
        now: at(0),
      })
    await create('step:a > step:b')
    await create('step:a > step:b')
    expect(await store.loadShape('h1')).toBe('step:a > step:b')
    expect(await store.loadShape('h2')).toBeUndefined()
  })

  it('says "leased" while another worker holds a live lease', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1', at(0), 1_000)
    expect(await store.claimRun(id, claimAt(at(999), 'w2'))).toEqual({ claimed: false, reason: 'leased', dueAt: at(0) })
    // Not even the holder claims twice.
    expect(await store.claimRun(id, claimAt(at(500), 'w1'))).toMatchObject({ claimed: false, reason: 'leased' })
    expect((await store.getRun(id))?.leaseOwner).toBe('w1')
  })

  it('says "notDue" before the due time, and for a run waiting on the outside', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store, { now: at(100) })
    expect(await store.claimRun(id, claimAt(at(99)))).toEqual({ claimed: false, reason: 'notDue', dueAt: at(100) })
    await lease(store, id, 'w1', at(100))
    await store.updateRun({ runId: id, owner: 'w1', state: stateOf({ status: 'waiting' }), dueAt: null, leaseUntil: null, now: at(101) })
    expect(await store.claimRun(id, claimAt(at(1e9)))).toEqual({ claimed: false, reason: 'notDue', dueAt: null })
  })

  it('takes over an expired lease and says the previous holder died', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1', at(0), 1_000)
    const result = await store.claimRun(id, claimAt(at(1_000), 'w2'))
    expect(result).toMatchObject({ claimed: true, previousLeaseExpired: true, run: { leaseOwner: 'w2', leaseExpiresAt: at(31_000) } })
    // The old holder is fenced out.
    expect(await store.updateRun({ runId: id, owner: 'w1', state: stateOf({ status: 'running' }), dueAt: null, leaseUntil: at(5_000), now: at(1_001) })).toBe(false)
    expect((await store.getRun(id))?.leaseOwner).toBe('w2')
  })

  it('says a released lease did not expire', async () => {
    const store = await backend.newStore()
    const id = await insertRun(store)
    await lease(store, id, 'w1')
    await store.releaseLeases('w1', [id])
    expect(await store.claimRun(id, claimAt(at(1), 'w2'))).toMatchObject({ claimed: true, previousLeaseExpired: false })
  })
})

describe.each(backends)('renewLeases and releaseLeases ($name)', (backend) => {
  it('renews only the leases the owner still holds', async () => {
    const store = await backend.newStore()
    const mine = await insertRun(store)
    const taken = await insertRun(store)
    const free = await insertRun(store)
    await lease(store, mine, 'w1', at(0), 1_000)
    await lease(store, taken, 'w2', at(0), 1_000)
    const held = await store.renewLeases('w1', [mine, taken, free, 'nope'], at(60_000))
    expect(held).toEqual([mine])
    expect((await store.getRun(mine))?.leaseExpiresAt).toEqual(at(60_000))
    expect((await store.getRun(taken))?.leaseExpiresAt).toEqual(at(1_000))
    expect((await store.getRun(free))?.leaseOwner).toBeNull()
    expect(await store.renewLeases('w1', [], at(1))).toEqual([])
  })

  it("releases only the owner's leases and leaves the runs as they are", async () => {
    const store = await backend.newStore()
    const mine = await insertRun(store)
    const theirs = await insertRun(store)
    await lease(store, mine, 'w1')
    await lease(store, theirs, 'w2')
    const before = await store.getRun(mine)
    await store.releaseLeases('w1', [mine, theirs])
    await store.releaseLeases('w1', [])
    expect(await store.getRun(mine)).toEqual({ ...before, leaseOwner: null, leaseExpiresAt: null })
    expect((await store.getRun(theirs))?.leaseOwner).toBe('w2')
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.id(store.schema, 'runs')} WHERE lease_owner IS NULL`.execute(store.db)
    expect(rows[0]?.n).toBe(1)
  })
})
