import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { flaky, log, outage, outageJournal, saga, sagaJournal } from '../../../testing/adapter-workflows.ts'

/** The application_name of Graphile Worker's connections, so the outage case can kill them. */
const APP = 'durable_graphile_test'

describe('durable workflows on Graphile Worker', () => {
  let database: TestDatabase
  let pool: pg.Pool
  let store: PostgresStore
  let durable: Durable
  const poolErrors: Error[] = []

  beforeAll(async () => {
    database = await createTestDatabase('graphile_workflows')
    pool = new pg.Pool({ connectionString: database.url, application_name: APP, max: 12 })
    pool.on('error', (error) => void poolErrors.push(error))
    pool.on('connect', (client) => client.on('error', (error) => void poolErrors.push(error)))
    store = postgresStore({ connectionString: database.url })
    const queue = graphileWorkerQueue({ pgPool: pool, pollIntervalMs: 100, logger: { warn: () => {} } })
    durable = createDurable({ store, queue, workflows: [flaky, saga, outage.workflow], logger: silentLogger })
    await durable.migrate() // the store's tables, then Graphile Worker's
    await durable.worker({ concurrency: 8, reconcileIntervalMs: 300 }).start()
  })
  afterAll(async () => {
    await durable?.close()
    await pool?.end()
    await database?.drop()
  })

  it('retries a step that fails once, then completes', async () => {
    log.length = 0
    const runId = await durable.start(flaky, { failTimes: 1 })
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ call: { ok: 2 } })
    expect(log).toEqual(['call:1', 'call:2'])
    const journal = await durable.journal(runId)
    expect(journal.map((e) => [e.kind, e.stepKey, e.attempt])).toEqual([
      ['step_failed', 'call', 1],
      ['step_completed', 'call', 2],
    ])
    expect(journal[0]!.error).toMatchObject({ message: 'boom 1' })
  })

  it('compensates completed steps in reverse when a step fails for good', async () => {
    log.length = 0
    const runId = await durable.start(saga)
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toEqual({ message: 'address is invalid', code: 'NON_RETRYABLE', step: 'ship' })
    expect(log).toEqual(['refund:p1', 'release:r1'])
    const journal = await durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}`)).toEqual(sagaJournal)
    expect(journal.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it("loses no run when the server drops Graphile Worker's connections mid-run", async () => {
    outage.arm()
    const runId = await durable.start(outage.workflow)
    await outage.entered
    // What a database restart or failover does to the queue: every connection of its pool
    // (the LISTEN one included) is terminated while a step runs. The store's pool is spared.
    const { rows } = await sql<{ pid: number }>`
      select pg_terminate_backend(pid) as pid from pg_stat_activity where application_name = ${APP}
    `.execute(store.db)
    expect(rows.length).toBeGreaterThan(0)
    outage.release() // the step fails; its retry is scheduled through the store's transaction
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ before: 'a', during: 'b', after: 'c' })
    const journal = await durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}:${e.attempt}`)).toEqual(outageJournal)
    expect(poolErrors.length).toBeGreaterThan(0) // the connections really did break
  })
})
