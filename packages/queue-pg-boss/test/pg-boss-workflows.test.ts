import { createDurable, silentLogger, type Durable, type DurableWorker } from '@durable/provider'
import { pgBossQueue } from '@durable/queue-pg-boss'
import { postgresStore } from '@durable/store-postgres'
import PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { flaky, log, outage, outageJournal, saga, sagaJournal } from '../../../testing/adapter-workflows.ts'

describe('durable workflows on pg-boss', () => {
  let database: TestDatabase
  let boss: PgBoss
  let durable: Durable
  let worker: DurableWorker

  beforeAll(async () => {
    database = await createTestDatabase('pg_boss_workflows')
    boss = new PgBoss({ connectionString: database.url, schema: 'pgboss', max: 6, schedule: false })
    boss.on('error', () => {}) // the outage case stops the boss on purpose
    const store = postgresStore({ connectionString: database.url })
    durable = createDurable({ store, queue: pgBossQueue(boss, { pollIntervalMs: 200 }), workflows: [flaky, saga, outage.workflow], logger: silentLogger })
    await durable.migrate() // starts the boss and creates its queue
    worker = durable.worker({ concurrency: 8, reconcileIntervalMs: 300 })
    await worker.start()
  })
  afterAll(async () => {
    await durable?.close()
    await boss?.stop({ graceful: false })
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

  it('loses no run when pg-boss stops mid-run and starts again', async () => {
    outage.arm()
    const runId = await durable.start(outage.workflow)
    await outage.entered
    await boss.stop({ graceful: false }) // closes pg-boss's pool: nothing is fetched any more
    outage.release() // the step fails; its retry is scheduled through the store's transaction
    await new Promise((resolve) => setTimeout(resolve, 1_000)) // well past the 200 ms backoff
    expect((await durable.find(runId)).status).not.toBe('completed')
    await boss.start()
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ before: 'a', during: 'b', after: 'c' })
    const journal = await durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}:${e.attempt}`)).toEqual(outageJournal)
  })
})
