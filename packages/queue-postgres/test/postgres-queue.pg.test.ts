import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { isDurableError } from '@durable/core'
import type { DurableJob } from '@durable/queue-adapter'
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

let database: TestDatabase
let schemaCounter = 0
/** Every case gets its own schema (and so its own jobs table and default channel). */
const nextSchema = () => `q${schemaCounter++}`

beforeAll(async () => {
  database = await createTestDatabase('queue_pg')
})
afterAll(async () => {
  await database.drop()
})

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(10)
  }
}

testQueueAdapter('postgresQueue on pg', async () => {
  const store = postgresStore({ connectionString: database.url, schema: nextSchema() })
  const adapter = postgresQueue({ store })
  await adapter.migrate()
  return {
    adapter,
    withTransaction: (fn) => store.transaction(async (tx) => fn(tx)),
    cleanup: () => store.close(),
  }
})

describe('postgresQueue on pg', () => {
  const stores: PostgresStore[] = []
  const newStore = (schema: string) => {
    const store = postgresStore({ connectionString: database.url, schema })
    stores.push(store)
    return store
  }
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
  })

  it('hands each job to exactly one of two consumers on separate pools (SKIP LOCKED)', async () => {
    const schema = nextSchema()
    const queues = [postgresQueue({ store: newStore(schema) }), postgresQueue({ store: newStore(schema) })]
    await queues[0]!.migrate()
    const ids = Array.from({ length: 500 }, (_, i) => `run-${i}`)
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map((runId) => queues[0]!.dispatch({ runId })))
    }
    const received: string[][] = [[], []]
    const consumers = await Promise.all(
      queues.map((queue, n) =>
        queue.consume(
          async (job) => {
            received[n]!.push(job.runId)
            await sleep(1) // let the other consumer's claims interleave
          },
          { concurrency: 8 },
        ),
      ),
    )
    await waitUntil(() => received[0]!.length + received[1]!.length >= ids.length, 'all 500 jobs are delivered', 20_000)
    await sleep(300) // a duplicate delivery would show up now
    await Promise.all(consumers.map((consumer) => consumer.stop()))
    const all = [...received[0]!, ...received[1]!]
    expect(all).toHaveLength(ids.length)
    expect(new Set(all)).toEqual(new Set(ids))
    expect(received[0]!.length).toBeGreaterThan(0)
    expect(received[1]!.length).toBeGreaterThan(0)
  }, 30_000)

  it('wakes an idle consumer by NOTIFY long before the poll interval', async () => {
    const store = newStore(nextSchema())
    // Any recovered trouble would explain a slow delivery: show it.
    const logger = { warn: (obj: unknown, msg?: string) => console.warn(msg, obj) }
    const queue = postgresQueue({ store, pollIntervalMs: 10_000, logger })
    await queue.migrate()
    const received: Array<{ job: DurableJob; at: number }> = []
    const consumer = await queue.consume(async (job) => void received.push({ job, at: Date.now() }), { concurrency: 1 })
    await sleep(300) // the first (empty) claim is done: the consumer sleeps for 10 s
    const plainAt = Date.now()
    await queue.dispatch({ runId: 'plain' })
    await waitUntil(() => received.length === 1, 'the job is delivered', 3_000)
    expect(received[0]!.at - plainAt).toBeLessThan(3_000)
    // In a transaction, the NOTIFY goes out on commit.
    await store.transaction(async (tx) => queue.dispatch({ runId: 'in-transaction' }, { transaction: tx }))
    await waitUntil(() => received.length === 2, 'the job dispatched in a transaction is delivered', 3_000)
    // A job due within the poll interval (but not now) also NOTIFYs, so the consumer learns its run_at.
    const soonAt = new Date(Date.now() + 500)
    await queue.dispatch({ runId: 'soon', runAt: soonAt })
    await waitUntil(() => received.length === 3, 'the job due in 500 ms is delivered', 3_000)
    expect(received[2]!.at).toBeGreaterThanOrEqual(soonAt.getTime() - 20)
    await consumer.stop()
  })

  it('collapses dispatches of one run into one row with the earliest run_at', async () => {
    const store = newStore(nextSchema())
    const queue = postgresQueue({ store })
    await queue.migrate()
    const hour = 3_600_000
    const base = Date.now()
    await queue.dispatch({ runId: 'r1', runAt: new Date(base + hour) })
    await queue.dispatch({ runId: 'r1', runAt: new Date(base + hour / 2) })
    await queue.dispatch({ runId: 'r1', runAt: new Date(base + 2 * hour) })
    await Promise.all([1, 2, 3].map((n) => queue.dispatch({ runId: 'r2', runAt: new Date(base + n * hour) })))
    const { rows } = await sql<{ run_id: string; run_at: Date }>`
      select run_id, run_at from ${sql.table(`${store.schema}.jobs`)} order by run_id
    `.execute(store.db)
    expect(rows.map((row) => [row.run_id, new Date(row.run_at).getTime()])).toEqual([
      ['r1', base + hour / 2],
      ['r2', base + hour],
    ])
  })

  it('polls when the store cannot listen (built from a bare Kysely instance)', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 })
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
    const store = postgresStore({ db, schema: nextSchema() })
    const queue = postgresQueue({ store, pollIntervalMs: 100 })
    await queue.migrate()
    const received: string[] = []
    const consumer = await queue.consume(async (job) => void received.push(job.runId), { concurrency: 2 })
    await queue.dispatch({ runId: 'polled' })
    await waitUntil(() => received.includes('polled'), 'the job is found by polling', 5_000)
    await consumer.stop()
    await db.destroy()
  })

  it('survives database errors in the consume loop: logs, backs off, recovers', async () => {
    const store = newStore(nextSchema())
    const warnings: string[] = []
    const queue = postgresQueue({ store, pollIntervalMs: 100, logger: { warn: (_obj, msg) => void warnings.push(msg ?? '') } })
    // Not migrated yet: every claim fails with "relation does not exist".
    const received: string[] = []
    const consumer = await queue.consume(async (job) => void received.push(job.runId), { concurrency: 1 })
    await waitUntil(() => warnings.length >= 2, 'the failing claims are logged', 5_000)
    expect(warnings[0]).toMatch(/claiming jobs failed/)
    await queue.migrate()
    await queue.dispatch({ runId: 'after-recovery' })
    await waitUntil(() => received.includes('after-recovery'), 'the consumer recovers', 15_000)
    await consumer.stop()
  }, 30_000)

  it('migrate() is idempotent, also when run concurrently', async () => {
    const store = newStore(nextSchema())
    const queue = postgresQueue({ store })
    await Promise.all([queue.migrate(), queue.migrate(), postgresQueue({ store: newStore(store.schema) }).migrate()])
    await queue.migrate()
    await queue.dispatch({ runId: 'r' })
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${store.schema}.jobs`)}`.execute(store.db)
    expect(rows[0]!.n).toBe(1)
  })

  it('refuses bad schema, channel and option values with INVALID_INPUT', async () => {
    const store = newStore(nextSchema())
    const invalid = (make: () => unknown) => {
      try {
        make()
      } catch (error) {
        return isDurableError(error, 'INVALID_INPUT')
      }
      return false
    }
    for (const channel of ['bad-name', 'x"; drop table jobs; --', 'a'.repeat(64), '', '1abc', 'with space']) {
      expect(
        invalid(() => postgresQueue({ store, channel })),
        channel,
      ).toBe(true)
    }
    const listen = store.listen.bind(store)
    for (const schema of ['bad schema', 'x"y', 'a'.repeat(64), '']) {
      expect(
        invalid(() => postgresQueue({ store: { db: store.db, schema, listen } })),
        schema,
      ).toBe(true)
    }
    for (const pollIntervalMs of [0, -5, Number.NaN]) {
      expect(
        invalid(() => postgresQueue({ store, pollIntervalMs })),
        String(pollIntervalMs),
      ).toBe(true)
    }
    expect(invalid(() => postgresQueue({ store, channel: 'Fine_Channel_1' }))).toBe(false)
    const queue = postgresQueue({ store })
    const errors = await Promise.all([
      queue.dispatch({ runId: '' }).catch((e: unknown) => e),
      queue.dispatch({ runId: 'r', runAt: new Date(Number.NaN) }).catch((e: unknown) => e),
      queue.dispatch({ runId: 'r' }, { transaction: { not: 'a transaction' } }).catch((e: unknown) => e),
      queue.consume(async () => {}, { concurrency: 0 }).catch((e: unknown) => e),
    ])
    for (const error of errors) expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
  })
})
