/**
 * Concurrent `start()` calls of one process share one insert transaction (`createRuns`): those
 * that come while one is in flight go together in the next, on PostgreSQL and PGlite.
 */
import { PGlite } from '@electric-sql/pglite'
import { defineWorkflow, type RunStore } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase('start_batching')
})
afterAll(async () => {
  await database.drop()
})

const executions = new Map<string, number>()
const counted = defineWorkflow<{ n: number }>('counted').step('count', async (ctx) => {
  executions.set(ctx.runId, (executions.get(ctx.runId) ?? 0) + 1)
  return ctx.input.n
})

/** The store, with the size of each `createRuns` batch recorded (every other member as it is). */
function recordingBatches(store: PostgresStore): { store: RunStore; batches: number[] } {
  const batches: number[] = []
  const recording = new Proxy(store, {
    get(target, key) {
      if (key === 'createRuns')
        return (...args: Parameters<PostgresStore['createRuns']>) => {
          batches.push(args[0].length)
          return target.createRuns(...args)
        }
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  return { store: recording, batches }
}

describe.each(['pg', 'pglite'] as const)('concurrent start() calls on %s', (backend) => {
  it('share insert transactions, each run created once with its job, callers of one key agreeing on one run', async () => {
    const store = backend === 'pg' ? postgresStore({ connectionString: database.url, schema: 'batching' }) : postgresStore({ pglite: new PGlite() })
    const { store: recording, batches } = recordingBatches(store)
    const durable = createDurable({ store: recording, queue: postgresQueue({ store }), workflows: [counted], logger: silentLogger })
    try {
      await durable.migrate()
      const plain = Array.from({ length: 40 }, (_, n) => durable.start(counted, { n }))
      const keyed = Array.from({ length: 8 }, (_, n) => durable.start(counted, { n: 100 + n }, { idempotencyKey: 'one-order' }))
      const ids = await Promise.all([...plain, ...keyed])
      const keyedIds = new Set(ids.slice(40))
      expect(keyedIds.size).toBe(1)
      expect(new Set(ids.slice(0, 40)).size).toBe(40)

      // The first start goes at once, alone; the others gathered behind it.
      expect(batches[0]).toBe(1)
      expect(batches.reduce((sum, size) => sum + size, 0)).toBe(48)
      expect(batches.length).toBeLessThan(48)
      expect(Math.max(...batches)).toBeGreaterThan(1)

      const jobs = await store.db.withSchema(store.schema).selectFrom('jobs').select('run_id').execute()
      expect(new Set(jobs.map((job) => job.run_id))).toEqual(new Set(ids))

      const worker = durable.worker({ concurrency: 8 })
      await worker.start()
      const done = await Promise.all([...new Set(ids)].map((id) => durable.waitFor(id, { timeout: '30s' })))
      await worker.stop()
      expect(done.map((run) => run.status)).toEqual(done.map(() => 'completed'))
      for (const id of new Set(ids)) expect(executions.get(id)).toBe(1)
      // The first of the key's starts (in call order, so in batch order) made the run.
      expect((await durable.find([...keyedIds][0]!)).input).toEqual({ n: 100 })
    } finally {
      await durable.close()
      await store.close()
    }
  })
})
