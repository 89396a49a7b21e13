import { initialState, defineWorkflow, type RunStore } from '@durable/core'
import { memoryStore } from '@durable/testing'
import { testRunStore } from '@durable/testing/conformance'
import { describe, expect, it } from 'vitest'

testRunStore('memoryStore', async () => ({ store: memoryStore() }))

const workflow = defineWorkflow('wf').step('a', async () => 1)
const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms)
const definitions = [{ name: 'wf', version: null, shapeHash: 'h' }]

async function leasedRun(store: RunStore, id: string): Promise<void> {
  await store.createRun({
    id,
    workflowName: 'wf',
    workflowVersion: null,
    shapeHash: 'h',
    inputJson: '{}',
    state: initialState(workflow),
    idempotencyKey: null,
    parentRunId: null,
    now: at(0),
  })
  const claim = await store.claimRun(id, { owner: 'w1', now: at(0), leaseUntil: at(30_000), definitions })
  if (!claim.claimed) throw new Error(`setup: claim refused: ${claim.reason}`)
}

// What the conformance suite cannot check on every backend (a PGlite store serializes its
// transactions, so a read outside an open transaction would wait for it): isolation and row locks.
describe('memoryStore transactions, as under READ COMMITTED and FOR UPDATE', () => {
  it('hides a transaction’s writes from others until it commits', async () => {
    const store = memoryStore()
    await leasedRun(store, 'R1')
    let release!: () => void
    const open = new Promise<void>((resolve) => (release = resolve))
    const transaction = store.transaction(async (tx) => {
      await store.updateRun({ runId: 'R1', owner: 'w1', state: { ...initialState(workflow), status: 'waiting' }, dueAt: null, leaseUntil: null, now: at(1) }, tx)
      await open
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect((await store.getRun('R1'))?.status, 'status seen outside the open transaction').toBe('running')
    release()
    await transaction
    expect((await store.getRun('R1'))?.status, 'status after the commit').toBe('waiting')
  })

  it('makes a writer of a row that a transaction holds wait for that transaction to end', async () => {
    const store = memoryStore()
    await leasedRun(store, 'R1')
    const order: string[] = []
    let release!: () => void
    const open = new Promise<void>((resolve) => (release = resolve))
    const parking = store.transaction(async (tx) => {
      await store.updateRun({ runId: 'R1', owner: 'w1', state: { ...initialState(workflow), status: 'waiting' }, dueAt: null, leaseUntil: null, now: at(1) }, tx)
      await open
      order.push('park committed')
    })
    const signal = store.changeRun('R1', at(2), (run) => {
      order.push(`signal saw ${run.status}`)
      return { signal: { name: 'go', payloadJson: '1' }, dueAt: at(2) }
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(order, 'what ran while the park transaction was open').toEqual([])
    release()
    await Promise.all([parking, signal])
    expect(order, 'order of the park and the signal').toEqual(['park committed', 'signal saw waiting'])
  })

  it('refuses a transaction handle once its transaction ended, and calls after close', async () => {
    const store = memoryStore()
    let kept: unknown
    await store.transaction(async (tx) => {
      kept = tx
    })
    await expect(store.getRun('R1', kept as never), 'getRun with an ended transaction').rejects.toThrow(/ended/)
    await store.close()
    await expect(store.getRun('R1'), 'getRun after close').rejects.toThrow(/closed/)
  })
})
