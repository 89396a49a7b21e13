import { isDurableError } from '@durable/core'
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { freePort } from '../../../testing/free-port.ts'

let database: TestDatabase
let store: PostgresStore
let taskCounter = 0
/** Every case gets its own task identifier: a runner only fetches jobs of the tasks it knows. */
const nextTask = () => `conformance_${taskCounter++}`
/** Warnings the adapter reported; the handler-failure case produces some on purpose. */
const warnings: string[] = []
const logger = { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? '') }

beforeAll(async () => {
  database = await createTestDatabase('queue_graphile')
  store = postgresStore({ connectionString: database.url })
  const migrator = graphileWorkerQueue({ connectionString: database.url, logger })
  await migrator.migrate()
  await migrator.close()
})
afterAll(async () => {
  await store?.close()
  await database?.drop()
})

testQueueAdapter('graphileWorkerQueue', async () => {
  const adapter = graphileWorkerQueue({ connectionString: database.url, taskIdentifier: nextTask(), pollIntervalMs: 100, logger })
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

/** Jobs in Graphile Worker's table, all tasks or one. */
async function jobCount(schema: string, task?: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from ${sql.table(`${schema}._private_jobs`)} as jobs
    join ${sql.table(`${schema}._private_tasks`)} as tasks on tasks.id = jobs.task_id
    where ${task ?? null}::text is null or tasks.identifier = ${task ?? null}
  `.execute(store.db)
  return rows[0]!.n
}

describe('graphileWorkerQueue', () => {
  it('logs a failing handler and leaves no failed job behind', async () => {
    const task = nextTask()
    const adapter = graphileWorkerQueue({ connectionString: database.url, taskIdentifier: task, pollIntervalMs: 100, logger })
    try {
      const consumer = await adapter.consume(
        async () => {
          throw new Error('handler failed (expected by the test)')
        },
        { concurrency: 1 },
      )
      await adapter.dispatch({ runId: 'r-fails' })
      const deadline = Date.now() + 10_000
      while (!warnings.some((w) => w.includes('handler failed for run "r-fails"'))) {
        if (Date.now() > deadline) throw new Error('the failure was never logged')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await consumer.stop()
      expect(await jobCount('graphile_worker', task)).toBe(0)
    } finally {
      await adapter.close()
    }
  })

  it('refuses bad options and bad dispatch arguments with INVALID_INPUT', async () => {
    const url = database.url
    for (const options of [
      {},
      { connectionString: url, pgPool: new pg.Pool() },
      { connectionString: '' },
      { connectionString: url, schema: 'bad schema' },
      { connectionString: url, schema: 'x"; drop table jobs; --' },
      { connectionString: url, taskIdentifier: 'with space' },
      { connectionString: url, pollIntervalMs: 0 },
    ]) {
      expect(await codeOf(() => graphileWorkerQueue(options)), JSON.stringify(Object.keys(options))).toBe('INVALID_INPUT')
    }
    const adapter = graphileWorkerQueue({ connectionString: url, logger })
    try {
      expect(await codeOf(() => adapter.dispatch({ runId: '' }))).toBe('INVALID_INPUT')
      expect(await codeOf(() => adapter.dispatch({ runId: 'r', runAt: new Date(Number.NaN) }))).toBe('INVALID_INPUT')
      expect(await codeOf(() => adapter.dispatch({ runId: 'r' }, { transaction: { not: 'a transaction' } }))).toBe('INVALID_INPUT')
      expect(await codeOf(() => adapter.consume(async () => {}, { concurrency: 0 }))).toBe('INVALID_INPUT')
    } finally {
      await adapter.close()
    }
  })

  it('says to run migrate when its schema is missing', async () => {
    const adapter = graphileWorkerQueue({ connectionString: database.url, schema: 'not_migrated', logger })
    try {
      await expect(adapter.dispatch({ runId: 'r' })).rejects.toThrow(/not_migrated\.add_job does not exist.*durable\.migrate\(\)/)
      await expect(store.transaction((tx) => adapter.dispatch({ runId: 'r' }, { transaction: tx }))).rejects.toThrow(/does not exist/)
      expect(await codeOf(() => adapter.dispatch({ runId: 'r' }))).toBe('NOT_MIGRATED')
    } finally {
      await adapter.close()
    }
  })

  it('migrates idempotently, also concurrently, into its own schema', async () => {
    const adapters = [1, 2].map(() => graphileWorkerQueue({ connectionString: database.url, schema: 'gw_second', logger }))
    try {
      await Promise.all(adapters.map((adapter) => adapter.migrate()))
      await adapters[0]!.migrate()
      await adapters[0]!.dispatch({ runId: 'r' })
      expect(await jobCount('gw_second')).toBe(1)
    } finally {
      await Promise.all(adapters.map((adapter) => adapter.close()))
    }
  })

  it('fails migrate() fast with INVALID_INPUT when PostgreSQL is unreachable', async () => {
    const port = await freePort() // nothing listens there
    const adapter = graphileWorkerQueue({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/none`, connectTimeoutMs: 3_000, logger })
    const started = Date.now()
    const error = await adapter.migrate().catch((e: unknown) => e)
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    expect((error as Error).message).toMatch(/PostgreSQL is reachable/)
    expect(Date.now() - started).toBeLessThan(5_000)
    await adapter.close()
  })
})
