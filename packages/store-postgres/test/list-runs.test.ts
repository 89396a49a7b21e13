import { describe, expect, it } from 'vitest'
import { at, definitions, insertRun, stateOf, useBackends } from './backends.ts'

const backends = useBackends()

describe.each(backends)('listRuns ($name)', (backend) => {
  it('pages through runs newest first', async () => {
    const store = await backend.newStore()
    const ids: string[] = []
    for (let i = 0; i < 7; i++) ids.push(await insertRun(store, { now: at(i) }))
    const newestFirst = [...ids].reverse()

    const page1 = await store.listRuns({ limit: 3 })
    expect(page1.runs.map((run) => run.id)).toEqual(newestFirst.slice(0, 3))
    expect(page1.nextCursor).toBe(newestFirst[2])
    const page2 = await store.listRuns({ limit: 3, cursor: page1.nextCursor })
    expect(page2.runs.map((run) => run.id)).toEqual(newestFirst.slice(3, 6))
    const page3 = await store.listRuns({ limit: 3, cursor: page2.nextCursor })
    expect(page3.runs.map((run) => run.id)).toEqual(newestFirst.slice(6))
    expect(page3).not.toHaveProperty('nextCursor')
    // A page that ends exactly at the last run has no next cursor.
    expect(await store.listRuns({ limit: 7 })).not.toHaveProperty('nextCursor')
    expect(page1.runs[0]).toMatchObject({ workflowName: 'wf', status: 'pending', createdAt: at(6) })
  })

  it('filters by workflow and status, across pages', async () => {
    const store = await backend.newStore()
    const a1 = await insertRun(store, { workflowName: 'a' })
    const b1 = await insertRun(store, { workflowName: 'b' })
    const a2 = await insertRun(store, { workflowName: 'a' })
    const a3 = await insertRun(store, { workflowName: 'a' })
    for (const id of [a1, b1, a3]) {
      await store.claimRun(id, { owner: 'w1', now: at(0), leaseUntil: at(1_000), definitions: definitions('a', 'b') })
      await store.updateRun({ runId: id, owner: 'w1', state: stateOf({ status: 'completed' }), dueAt: null, leaseUntil: null, now: at(1) })
    }
    const ids = async (query: Parameters<typeof store.listRuns>[0]) => (await store.listRuns(query)).runs.map((run) => run.id)

    expect(await ids({ limit: 10, workflowName: 'a' })).toEqual([a3, a2, a1])
    expect(await ids({ limit: 10, workflowName: 'b' })).toEqual([b1])
    expect(await ids({ limit: 10, status: 'completed' })).toEqual([a3, b1, a1])
    expect(await ids({ limit: 10, status: 'pending' })).toEqual([a2])
    expect(await ids({ limit: 10, workflowName: 'a', status: 'completed' })).toEqual([a3, a1])
    const first = await store.listRuns({ limit: 1, workflowName: 'a', status: 'completed' })
    expect(first.runs.map((run) => run.id)).toEqual([a3])
    expect(await store.listRuns({ limit: 1, workflowName: 'a', status: 'completed', cursor: first.nextCursor })).toEqual({
      runs: [expect.objectContaining({ id: a1, status: 'completed' })],
    })
    expect(await ids({ limit: 10, workflowName: 'nope' })).toEqual([])
  })

  it('refuses a limit that is not a positive integer', async () => {
    const store = await backend.newStore()
    await expect(store.listRuns({ limit: 1.5 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
