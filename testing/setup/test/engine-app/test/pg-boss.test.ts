/** `@durable/queue-pg-boss` on the pg-boss installed in this app: the conformance suite, then a workflow. */
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { pgBossQueue } from '@durable/queue-pg-boss'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDatabase, expectFlakyCompletes } from './setup.ts'

/** A PgBoss instance as this file uses it; the adapter's own type says what the adapter needs. */
type Boss = Parameters<typeof pgBossQueue>[0] & {
  start(): Promise<unknown>
  stop(options: { graceful: boolean }): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}
type BossClass = new (options: { connectionString: string; schema: string; max?: number; schedule?: boolean }) => Boss

// pg-boss 12 exports the class by name (it is ESM); pg-boss 10 as its CommonJS default export.
const loaded = (await import('pg-boss')) as unknown as { PgBoss?: BossClass; default?: BossClass }
const PgBoss = loaded.PgBoss ?? loaded.default!

let database: Awaited<ReturnType<typeof createDatabase>>
let boss: Boss
let store: PostgresStore
let counter = 0

beforeAll(async () => {
  database = await createDatabase('engine_pg_boss')
  boss = new PgBoss({ connectionString: database.url, schema: 'pgboss', max: 6, schedule: false })
  boss.on('error', (error) => console.error('[pg-boss]', error))
  await boss.start()
  store = postgresStore({ connectionString: database.url })
})
afterAll(async () => {
  await store?.close()
  await boss?.stop({ graceful: false })
  await database?.drop()
})

testQueueAdapter('pgBossQueue', async () => {
  const adapter = pgBossQueue(boss, { queueName: `conformance-${counter++}`, pollIntervalMs: 250 })
  await adapter.migrate()
  return { adapter, withTransaction: (fn) => store.transaction(async (tx) => fn(tx)) }
})

describe('a workflow on pg-boss', () => {
  it('retries a step and completes', async () => {
    await expectFlakyCompletes(store, pgBossQueue(boss, { queueName: 'durable-wake', pollIntervalMs: 200 }))
  })
})

describe('pgBossQueue misconfigured, on this pg-boss', () => {
  it('says to start the boss when it is not started', async () => {
    const idle = new PgBoss({ connectionString: database.url, schema: 'pgboss' })
    const adapter = pgBossQueue(idle, { queueName: 'never-started' })
    await expect(adapter.dispatch({ runId: 'r' })).rejects.toThrow(/not started.*boss\.start\(\)/)
    await expect(adapter.consume(async () => {}, { concurrency: 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('says to run migrate when the queue does not exist, in and out of a transaction', async () => {
    const adapter = pgBossQueue(boss, { queueName: `missing-${counter++}` })
    await expect(adapter.dispatch({ runId: 'r' })).rejects.toMatchObject({ code: 'NOT_MIGRATED', message: expect.stringMatching(/no queue .*durable\.migrate\(\)/) })
    await expect(store.transaction((tx) => adapter.dispatch({ runId: 'r' }, { transaction: tx }))).rejects.toMatchObject({ code: 'NOT_MIGRATED' })
    await expect(adapter.consume(async () => {}, { concurrency: 1 })).rejects.toMatchObject({ code: 'NOT_MIGRATED' })
  })
})
