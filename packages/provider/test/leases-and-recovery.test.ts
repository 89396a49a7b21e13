import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { memoryQueue, type QueueAdapter } from '@durable/queue-adapter'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresHarness, type Harness } from './harness.ts'

/** A queue that loses every job it is given: only the reconciler can move runs. */
function lossyQueue(): QueueAdapter & { dropped: number } {
  const inner = memoryQueue()
  const queue = {
    transactional: false,
    dropped: 0,
    async dispatch() {
      queue.dropped++
    },
    consume: inner.consume.bind(inner),
  }
  return queue
}

const runs = new Map<string, number>()
const count = (key: string) => runs.set(key, (runs.get(key) ?? 0) + 1)

const simple = defineWorkflow<{ tag: string }>('simple')
  .step('one', async (ctx) => count(`one:${ctx.input.tag}`) && 1)
  .step('two', async (ctx) => count(`two:${ctx.input.tag}`) && 2)

const slow = defineWorkflow<{ ms: number; tag: string }>('slow').step('wait', async (ctx) => {
  count(`wait:${ctx.input.tag}`)
  await new Promise((r) => setTimeout(r, ctx.input.ms))
  return 'done'
})

const ledger = defineWorkflow<{ account: string; fail: boolean }>('ledger').step(
  'book',
  async (ctx) => {
    await sql`insert into ledger_entries (account) values (${ctx.input.account})`.execute(ctx.tx!)
    if (ctx.input.fail) throw new Error('rejected after writing')
    return 'booked'
  },
  { transactional: true, maxAttempts: 2, backoff: () => 10 },
)

describe('leases and recovery on postgres', () => {
  let h: Harness
  beforeAll(async () => {
    h = await postgresHarness([simple, slow, ledger], { leaseMs: 600 })
    await sql`create table ledger_entries (id serial primary key, account text not null)`.execute(h.store.db)
  })
  afterAll(async () => h.close())

  it('finishes runs through the reconciler when the queue loses every job', async () => {
    const lossy = lossyQueue()
    const durable = createDurable({ store: h.store, queue: lossy, workflows: [simple], logger: silentLogger })
    const worker = durable.worker({ concurrency: 4, reconcileIntervalMs: 100 })
    await worker.start()
    // Started where no worker runs (no local start, which needs no job): each start's job is lost.
    const starter = createDurable({ store: h.store, queue: lossy, workflows: [simple], logger: silentLogger })
    try {
      const ids = await Promise.all(['a', 'b', 'c'].map((tag) => starter.start(simple, { tag: `lossy-${tag}` })))
      for (const id of ids) expect((await durable.waitFor(id, { timeout: '20s' })).status).toBe('completed')
      expect(lossy.dropped).toBeGreaterThanOrEqual(3)
      expect(runs.get('one:lossy-a')).toBe(1)
    } finally {
      await worker.stop()
    }
  })

  it('dispatches a backlog of due runs once, not at every reconciler pass', async () => {
    const dispatched = new Map<string, number>()
    const counting: QueueAdapter = {
      transactional: false,
      async dispatch(job) {
        dispatched.set(job.runId, (dispatched.get(job.runId) ?? 0) + 1)
      },
      consume: async () => ({ stop: async () => {} }),
    }
    // No worker drives these runs for the first 3 s (their jobs are lost), so they stay due
    // while about 20 passes of 50 ms go by.
    const durable = createDurable({ store: h.store, queue: counting, workflows: [simple], logger: silentLogger })
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => durable.start(simple, { tag: `backlog-${i}` })))
    const worker = durable.worker({ concurrency: 1, reconcileIntervalMs: 50 })
    await worker.start()
    try {
      await new Promise((r) => setTimeout(r, 1000))
      const counts = ids.map((id) => dispatched.get(id) ?? 0)
      // One dispatch at the start, one by the reconciler; 20 passes would have made 21.
      expect(Math.max(...counts), 'most dispatches of one run').toBeLessThanOrEqual(2)
      expect(counts.filter((n) => n === 2).length, 'runs the reconciler dispatched again').toBeGreaterThan(0)
    } finally {
      // Not durable.close(): the store is the suite's.
      await worker.stop()
    }
  })

  it('keeps the lease of a step that runs longer than leaseMs by renewing it', async () => {
    const runId = await h.durable.start(slow, { ms: 2000, tag: 'long' })
    expect((await h.durable.waitFor(runId, { timeout: '20s' })).status).toBe('completed')
    expect(runs.get('wait:long')).toBe(1)
    expect((await h.durable.journal(runId)).map((e) => e.kind)).toEqual(['step_completed'])
  })

  it('commits a transactional step’s writes with its journal entry, or not at all', async () => {
    const ok = await h.durable.waitFor(await h.durable.start(ledger, { account: 'ok', fail: false }), { timeout: '20s' })
    expect(ok.status).toBe('completed')
    const failed = await h.durable.waitFor(await h.durable.start(ledger, { account: 'bad', fail: true }), { timeout: '20s' })
    expect(failed.status).toBe('failed')
    const rows = await sql<{ account: string }>`select account from ledger_entries order by id`.execute(h.store.db)
    expect(rows.rows.map((r) => r.account)).toEqual(['ok'])
  })

  it('hands leases back on stop so another worker continues at once', async () => {
    const queue = memoryQueue()
    const first = createDurable({ store: h.store, queue, workflows: [slow], logger: silentLogger, leaseMs: 60_000 })
    const second = createDurable({ store: h.store, queue, workflows: [slow], logger: silentLogger, leaseMs: 60_000 })
    const w1 = first.worker({ concurrency: 2, stopTimeoutMs: 100 })
    await w1.start()
    const runId = await first.start(slow, { ms: 1500, tag: 'handback' })
    await waitUntil(async () => runs.get('wait:handback') === 1)
    const stopping = Date.now()
    await w1.stop()
    expect(Date.now() - stopping).toBeLessThan(5000)
    const w2 = second.worker({ concurrency: 2 })
    await w2.start()
    try {
      const done = await second.waitFor(runId, { timeout: '20s' })
      expect(done.status).toBe('completed')
      // Abandoned by the stopping worker, the step ran again in the second: at-least-once.
      expect(runs.get('wait:handback')).toBe(2)
    } finally {
      await w2.stop()
    }
  })
})

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
