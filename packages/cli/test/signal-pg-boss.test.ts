import { fileURLToPath } from 'node:url'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { pgBossQueue } from '@durable/queue-pg-boss'
import { postgresStore } from '@durable/store-postgres'
import pg from 'pg'
import PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { FALLBACK_NOTE } from '../src/app-connection.ts'
import { approval } from './fixtures/pg-boss-app.mjs'
import { durableBin, waitForStatus } from './helpers.ts'

/*
 * The app's workers consume pg-boss, and their reconciler looks only every ten minutes: a run
 * moves within the test only if the CLI's wake-up went through pg-boss.
 */
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const QUEUE_MODULE = 'test/fixtures/pg-boss-app.mjs'
const DURABLE_MODULE = 'test/fixtures/pg-boss-durable.mjs'
const RECONCILE_EVERY_MS = 600_000

let database: TestDatabase
let boss: PgBoss
let fleet: Durable
let sql: pg.Client
let env: Record<string, string>

beforeAll(async () => {
  database = await createTestDatabase('cli_signal_pg_boss')
  env = { DATABASE_URL: database.url }
  boss = new PgBoss({ connectionString: database.url, schema: 'pgboss', max: 4, schedule: false })
  const store = postgresStore({ connectionString: database.url })
  fleet = createDurable({ store, queue: pgBossQueue(boss, { pollIntervalMs: 100 }), workflows: [approval], logger: silentLogger })
  await fleet.migrate()
  await fleet.worker({ concurrency: 4, reconcileIntervalMs: RECONCILE_EVERY_MS }).start()
  sql = new pg.Client({ connectionString: database.url })
  await sql.connect()
})
afterAll(async () => {
  await sql?.end()
  await fleet?.close()
  await boss?.stop({ graceful: false })
  await database?.drop()
})

/** A run parked in its signal wait, and the pg-boss jobs that woke it so far. */
async function waitingRun(order: string): Promise<{ id: string; jobsBefore: number }> {
  const id = await fleet.start(approval, { order })
  await waitForStatus(fleet, id, 'waiting')
  return { id, jobsBefore: (await wakeJobs(id)).length }
}

/** The pg-boss wake-up jobs of a run, oldest first, with their state. */
async function wakeJobs(runId: string): Promise<Array<{ state: string }>> {
  const { rows } = await sql.query<{ state: string }>(`SELECT state FROM pgboss.job WHERE name = 'durable-wake' AND data->>'runId' = $1 ORDER BY created_on`, [runId])
  return rows
}

async function databaseNow(): Promise<Date> {
  const { rows } = await sql.query<{ now: Date }>('SELECT clock_timestamp() AS now')
  return rows[0]!.now
}

describe('durable signal with a --workflows module that exports the queue (pg-boss workers)', () => {
  it('wakes the run through pg-boss: a new wake-up job is consumed and the run completes, with the reconciler idle', async () => {
    const { id, jobsBefore } = await waitingRun('o-1')
    const sent = await durableBin(['signal', id, 'approved', '{"by":"ann"}', '--workflows', QUEUE_MODULE], env, packageDir)
    const exitedAt = await databaseNow()
    expect(sent).toEqual({ code: 0, stdout: `sent signal "approved" to run ${id}\n`, stderr: '' })

    const done = await fleet.waitFor(id, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.result).toMatchObject({ approved: { by: 'ann' }, finish: { approvedBy: 'ann' } })
    // The CLI's wake-up is a pg-boss job, which a worker fetched and completed.
    await expect.poll(async () => (await wakeJobs(id)).slice(jobsBefore).map((job) => job.state)[0], { timeout: 10_000 }).toBe('completed')

    // Reported, never asserted (a shared, noisy machine): CLI exit → the run's next journal entry, on the database's clock.
    const taken = (await fleet.journal(id)).find((entry) => entry.kind === 'signal_received')!
    console.log(`signal → run moved: ${taken.createdAt.getTime() - exitedAt.getTime()} ms after the CLI exited (database clock)`)
  })

  it('cancels through the durable instance a module exports', async () => {
    const { id, jobsBefore } = await waitingRun('o-2')
    const cancelled = await durableBin(['cancel', id, '--workflows', DURABLE_MODULE], env, packageDir)
    expect({ code: cancelled.code, stderr: cancelled.stderr }).toEqual({ code: 0, stderr: '' })
    expect((await fleet.waitFor(id, { timeout: '20s' })).status).toBe('cancelled')
    expect((await wakeJobs(id)).length).toBeGreaterThan(jobsBefore)
  })
})

describe('durable signal without a module', () => {
  it("says it wakes through durable's jobs table, which pg-boss workers do not read: the run waits for their reconciler", async () => {
    // As a user who ran "durable migrate" from the CLI has it: durable's jobs table exists, and no worker reads it.
    expect((await durableBin(['migrate'], env, packageDir)).code).toBe(0)
    const { id, jobsBefore } = await waitingRun('o-3')
    const sent = await durableBin(['signal', id, 'approved'], env, packageDir)
    expect(sent).toEqual({ code: 0, stdout: `sent signal "approved" to run ${id}\n`, stderr: FALLBACK_NOTE })
    expect((await fleet.pendingSignals(id)).map((signal) => signal.name)).toEqual(['approved'])
    // Nothing went through pg-boss, and nothing else wakes the run before the reconciler's next scan.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await wakeJobs(id)).toHaveLength(jobsBefore)
    expect((await fleet.find(id)).status).toBe('waiting')
  })
})
