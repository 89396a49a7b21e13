import { describe, expect, it } from 'vitest'
import { at, definitions, insertRun, lease, stateOf, useBackends } from './backends.ts'

const backends = useBackends()

describe.each(backends)('findDueRuns ($name)', (backend) => {
  it('finds active, due, unleased runs of known workflows, most overdue first', async () => {
    const store = await backend.newStore()
    const later = await insertRun(store, { now: at(20) })
    const first = await insertRun(store, { now: at(10) })
    const future = await insertRun(store, { now: at(1_000) })
    const otherWorkflow = await insertRun(store, { workflowName: 'unknown', now: at(0) })
    const leased = await insertRun(store, { now: at(0) })
    await lease(store, leased, 'w1', at(0), 5_000)
    const expired = await insertRun(store, { now: at(0) })
    await lease(store, expired, 'w1', at(0), 50)
    const ended = await insertRun(store, { now: at(0) })
    await lease(store, ended, 'w1')
    await store.updateRun({ runId: ended, owner: 'w1', state: stateOf({ status: 'completed' }), dueAt: at(0), leaseUntil: null, now: at(1) })
    const waiting = await insertRun(store, { now: at(0) })
    await lease(store, waiting, 'w1')
    await store.updateRun({ runId: waiting, owner: 'w1', state: stateOf({ status: 'waiting' }), dueAt: null, leaseUntil: null, now: at(1) })

    const due = await store.findDueRuns({ now: at(100), definitions: definitions('wf'), limit: 10 })
    expect(due).toEqual([expired, first, later])
    expect(due).not.toContain(future)
    expect(due).not.toContain(otherWorkflow)
    expect(await store.findDueRuns({ now: at(100), definitions: definitions('wf', 'unknown'), limit: 10 })).toEqual([otherWorkflow, expired, first, later])
    expect(await store.findDueRuns({ now: at(100), definitions: definitions('wf'), limit: 2 })).toEqual([expired, first])
    expect(await store.findDueRuns({ now: at(100), definitions: definitions(), limit: 10 })).toEqual([])
    expect(await store.findDueRuns({ now: at(10_000), definitions: definitions('wf'), limit: 10 })).toEqual([leased, expired, first, later, future])
  })

  it('refuses a limit that is not a positive integer', async () => {
    const store = await backend.newStore()
    await expect(store.findDueRuns({ now: at(0), definitions: definitions('wf'), limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
