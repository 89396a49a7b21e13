import { isDurableError } from '@durable/core'
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { pgBossQueue } from '@durable/queue-pg-boss'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { freePort } from '../../../testing/free-port.ts'

let database: TestDatabase
let boss: PgBoss
let store: PostgresStore
let queueCounter = 0
/** Every case gets its own pg-boss queue, so no case sees another's jobs. */
const nextQueueName = () => `conformance-${queueCounter++}`

beforeAll(async () => {
  database = await createTestDatabase('queue_pg_boss')
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
  const adapter = pgBossQueue(boss, { queueName: nextQueueName(), pollIntervalMs: 250 })
  await adapter.migrate()
  return { adapter, withTransaction: (fn) => store.transaction(async (tx) => fn(tx)) }
})

/** The DurableError code `run` throws or rejects with, or 'none'. */
async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run()
  } catch (error) {
    return isDurableError(error) ? error.code : `not a DurableError: ${String(error)}`
  }
  return 'none'
}

describe('pgBossQueue misconfiguration', () => {
  it('refuses something that is not a pg-boss 10 instance, naming the version to install', async () => {
    // A stand-in for a pg-boss 9 instance: no createQueue.
    const old = { start() {}, send() {}, fetch() {}, complete() {}, fail() {}, getQueue() {} }
    expect(() => pgBossQueue(old as unknown as PgBoss)).toThrow(/pg-boss@10/)
    expect(await codeOf(() => pgBossQueue(old as unknown as PgBoss))).toBe('INVALID_INPUT')
    expect(await codeOf(() => pgBossQueue(undefined as unknown as PgBoss))).toBe('INVALID_INPUT')
  })

  it('refuses bad options and bad dispatch arguments', async () => {
    for (const options of [{ queueName: 'with space' }, { queueName: '' }, { pollIntervalMs: 0 }, { connectTimeoutMs: Number.NaN }]) {
      expect(await codeOf(() => pgBossQueue(boss, options)), JSON.stringify(options)).toBe('INVALID_INPUT')
    }
    const adapter = pgBossQueue(boss, { queueName: nextQueueName() })
    await adapter.migrate()
    expect(await codeOf(() => adapter.dispatch({ runId: '' }))).toBe('INVALID_INPUT')
    expect(await codeOf(() => adapter.dispatch({ runId: 'r', runAt: new Date(Number.NaN) }))).toBe('INVALID_INPUT')
    expect(await codeOf(() => adapter.dispatch({ runId: 'r' }, { transaction: { not: 'a transaction' } }))).toBe('INVALID_INPUT')
    expect(await codeOf(() => adapter.consume(async () => {}, { concurrency: 0 }))).toBe('INVALID_INPUT')
  })

  it('says to start the boss when it is not started', async () => {
    const idle = new PgBoss({ connectionString: database.url, schema: 'pgboss' })
    const adapter = pgBossQueue(idle, { queueName: nextQueueName() })
    await expect(adapter.dispatch({ runId: 'r' })).rejects.toThrow(/not started.*boss\.start\(\)/)
    expect(await codeOf(() => adapter.consume(async () => {}, { concurrency: 1 }))).toBe('INVALID_INPUT')
  })

  it('says to run migrate when the queue does not exist, instead of dropping jobs', async () => {
    const adapter = pgBossQueue(boss, { queueName: nextQueueName() })
    await expect(adapter.dispatch({ runId: 'r' })).rejects.toThrow(/no queue .*durable\.migrate\(\)/)
    await expect(store.transaction((tx) => adapter.dispatch({ runId: 'r' }, { transaction: tx }))).rejects.toThrow(/no queue/)
    expect(await codeOf(() => adapter.consume(async () => {}, { concurrency: 1 }))).toBe('NOT_MIGRATED')
    await adapter.migrate()
    await adapter.migrate() // idempotent
    await adapter.dispatch({ runId: 'r' })
  })

  it('fails migrate() fast with INVALID_INPUT when PostgreSQL is unreachable', async () => {
    const port = await freePort() // nothing listens there
    const unreachable = new PgBoss({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/none`, schema: 'pgboss' })
    unreachable.on('error', () => {})
    const adapter = pgBossQueue(unreachable, { connectTimeoutMs: 3_000 })
    const started = Date.now()
    const error = await adapter.migrate().catch((e: unknown) => e)
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    expect((error as Error).message).toMatch(/PostgreSQL is reachable/)
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
