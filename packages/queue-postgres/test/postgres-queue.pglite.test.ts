import { afterAll, describe, expect, it } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'

// One in-memory PGlite for the file (starting one takes a while); a schema per case.
const pglite = new PGlite()
let schemaCounter = 0
const nextSchema = () => `q${schemaCounter++}`

afterAll(async () => {
  await pglite.close()
})

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(10)
  }
}

testQueueAdapter('postgresQueue on PGlite', async () => {
  const store = postgresStore({ pglite, schema: nextSchema() })
  const adapter = postgresQueue({ store })
  await adapter.migrate()
  return {
    adapter,
    withTransaction: (fn) => store.transaction(async (tx) => fn(tx)),
    cleanup: () => store.close(),
  }
})

describe('postgresQueue on PGlite', () => {
  it('lets handlers use the database: the loop holds no connection while they run', async () => {
    const store = postgresStore({ pglite, schema: nextSchema() })
    const queue = postgresQueue({ store })
    await queue.migrate()
    const done: string[] = []
    // PGlite is one session: had the loop kept a transaction open around the handler, the
    // handler's own transaction would wait for it forever.
    const consumer = await queue.consume(
      async (job) => {
        await store.transaction(async (tx) => {
          await sql`select pg_sleep(0.05)`.execute(tx)
          await queue.dispatch({ runId: `${job.runId}-next`, runAt: new Date(Date.now() + 3_600_000) }, { transaction: tx })
        })
        done.push(job.runId)
      },
      { concurrency: 3 },
    )
    for (const runId of ['a', 'b', 'c', 'd']) await queue.dispatch({ runId })
    await waitUntil(() => done.length === 4, 'the four handlers finish')
    await consumer.stop()
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${store.schema}.jobs`)}`.execute(store.db)
    expect(rows[0]!.n).toBe(4)
    await store.close()
  })

  it('wakes an idle consumer by NOTIFY long before the poll interval', async () => {
    const store = postgresStore({ pglite, schema: nextSchema() })
    const queue = postgresQueue({ store, pollIntervalMs: 10_000 })
    await queue.migrate()
    const received: string[] = []
    const consumer = await queue.consume(async (job) => void received.push(job.runId), { concurrency: 1 })
    await sleep(300)
    await queue.dispatch({ runId: 'wake' })
    await waitUntil(() => received.includes('wake'), 'the job is delivered', 3_000)
    await consumer.stop()
    await store.close()
  })

  it('collapses dispatches of one run into one row with the earliest run_at', async () => {
    const store = postgresStore({ pglite, schema: nextSchema() })
    const queue = postgresQueue({ store })
    await queue.migrate()
    const base = Date.now() + 3_600_000
    for (const offset of [5_000, 1_000, 9_000]) await queue.dispatch({ runId: 'r', runAt: new Date(base + offset) })
    const { rows } = await sql<{ run_at: Date }>`select run_at from ${sql.table(`${store.schema}.jobs`)}`.execute(store.db)
    expect(rows.map((row) => new Date(row.run_at).getTime())).toEqual([base + 1_000])
    await store.close()
  })
})
