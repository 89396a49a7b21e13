import { PGlite } from '@electric-sql/pglite'
import { defineWorkflow, initialState, type RunState, type RunStore, type RunUpdate } from '@durable/core'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CommitPipeline } from '../src/commit-pipeline.ts'

const workflow = defineWorkflow('wf').step('a', async () => 1)
const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms)
const running: RunState = { ...initialState(workflow), status: 'running', step: 'a' }
const definitions = [{ name: 'wf', version: null, shapeHash: 'h' }]

/** The store, with the batch sizes of its `updateRuns` calls recorded. */
function counting(store: PostgresStore): { store: RunStore; batches: number[] } {
  const batches: number[] = []
  const counted = Object.create(store) as RunStore
  counted.updateRuns = (updates, tx) => {
    batches.push(updates.length)
    return store.updateRuns(updates, tx)
  }
  return { store: counted, batches }
}

describe('CommitPipeline (on PGlite)', () => {
  let store: PostgresStore
  const ids = Array.from({ length: 10 }, (_, i) => `R${String(i).padStart(3, '0')}`)

  beforeEach(async () => {
    store = postgresStore({ pglite: new PGlite() })
    await store.migrate()
    for (const id of ids) {
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
      await store.claimRun(id, { owner: 'w1', now: at(0), leaseUntil: at(30_000), definitions })
    }
  })
  afterEach(() => store.close())

  const update = (runId: string, result: number): RunUpdate => ({
    runId,
    owner: 'w1',
    state: running,
    dueAt: at(1),
    leaseUntil: at(30_000),
    now: at(1),
    journal: { stepKey: 'a', stepName: 'a', kind: 'step_completed', attempt: 1, resultJson: JSON.stringify(result) },
  })

  it('sends the first commit at once, and gathers those that come while it is in flight into one statement', async () => {
    const { store: counted, batches } = counting(store)
    const pipeline = new CommitPipeline(counted)
    const held = await Promise.all(ids.map((id, i) => pipeline.commit(update(id, i))))
    expect(held).toEqual(ids.map(() => true))
    expect(batches).toEqual([1, 9])
    for (const [i, id] of ids.entries()) expect((await store.loadResults(id)).map((entry) => entry.result)).toEqual([i])
  })

  it('refuses alone the run whose lease was lost; the others of its statement commit', async () => {
    await store.claimRun(ids[4]!, { owner: 'w2', now: at(31_000), leaseUntil: at(90_000), definitions })
    const { store: counted, batches } = counting(store)
    const pipeline = new CommitPipeline(counted)
    const held = await Promise.all(ids.map((id, i) => pipeline.commit({ ...update(id, i), now: at(31_500), leaseUntil: at(60_000) })))
    expect(held).toEqual(ids.map((id) => id !== ids[4]))
    expect(batches).toEqual([1, 9])
    expect(await store.journal(ids[4]!)).toEqual([])
    expect((await store.getRun(ids[4]!))?.leaseOwner).toBe('w2')
  })

  it('fails only the commit that breaks the journal, even when it shared a statement', async () => {
    await store.updateRun(update(ids[2]!, 99)) // step a of R002 is journaled already
    const { store: counted } = counting(store)
    const pipeline = new CommitPipeline(counted)
    const outcomes = await Promise.allSettled(ids.map((id, i) => pipeline.commit(update(id, i))))
    expect(outcomes.map((outcome) => outcome.status)).toEqual(ids.map((id) => (id === ids[2] ? 'rejected' : 'fulfilled')))
    expect((await store.loadResults(ids[2]!)).map((entry) => entry.result)).toEqual([99])
    expect((await store.loadResults(ids[7]!)).map((entry) => entry.result)).toEqual([7])
  })

  it('puts two commits of one run, or a run and the parent its end wakes, in different statements', async () => {
    const { store: counted, batches } = counting(store)
    const pipeline = new CommitPipeline(counted)
    const first = pipeline.commit(update(ids[0]!, 0)) // in flight alone
    const rest = [
      pipeline.commit({ ...update(ids[1]!, 1), state: { ...running, status: 'completed' }, leaseUntil: null, dueAt: null, wake: ids[2] }),
      pipeline.commit({ ...update(ids[2]!, 2) }),
      pipeline.commit({ ...update(ids[3]!, 3) }),
      pipeline.commit({ ...update(ids[3]!, 3), journal: { stepKey: 'b', stepName: 'b', kind: 'step_completed', attempt: 1, resultJson: '4' } }),
    ]
    expect(await Promise.all([first, ...rest])).toEqual([true, true, true, true, true])
    expect(batches).toEqual([1, 2, 2])
    expect((await store.journal(ids[3]!)).map((entry) => entry.stepKey)).toEqual(['a', 'b'])
  })
})
