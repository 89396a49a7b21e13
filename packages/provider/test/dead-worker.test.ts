/**
 * A worker that dies is noticed by the others within about two seconds, whatever `leaseMs` is:
 * its session-level liveness lock goes with its connection, and the others' reconcilers and
 * claims see its unexpired leases as free.
 */
import type { ChildProcess } from 'node:child_process'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { effectsTable, workflows } from './fixtures/workflows.mjs'
import { killHard, spawnWorker } from './worker-processes.ts'

describe('a dead worker, with leaseMs 30 000', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []
  /** The workers' defaults but for the lease: a dead worker's runs must not wait for it. */
  let env: Record<string, string>

  beforeAll(async () => {
    database = await createTestDatabase('dead')
    store = postgresStore({ connectionString: database.url })
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: workflows(store.db), logger: silentLogger })
    await durable.migrate()
    await effectsTable.execute(store.db)
    env = { DATABASE_URL: database.url, LEASE_MS: '30000', RECONCILE_MS: 'default' }
  })
  afterEach(async () => {
    await Promise.all(children.splice(0).map(killHard))
  })
  afterAll(async () => {
    await durable.close()
    await database.drop()
  })

  const effects = async (runId: string) =>
    (await sql<{ step: string; attempt: number; pid: number }>`select step, attempt, pid from effects where run_id = ${runId} order by id`.execute(store.db)).rows

  it('moves a SIGKILLed worker’s run again within 2 s, on another worker', async () => {
    const first = await spawnWorker(env)
    children.push(first)
    const runId = await durable.start('crashable', { slowMs: 3_000 })
    await expect.poll(async () => (await effects(runId)).some((e) => e.step === 'slow'), { timeout: 20_000, interval: 25 }).toBe(true)
    const second = await spawnWorker(env)
    children.push(second)
    const entries = (await durable.journal(runId)).length

    const killedAt = Date.now()
    await killHard(first)
    await expect.poll(async () => (await durable.journal(runId)).length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(entries)
    const movedAfterMs = Date.now() - killedAt
    expect(movedAfterMs).toBeLessThan(2_000)

    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect((await effects(runId)).map((e) => `${e.step}:${e.attempt}:${e.pid === first.pid ? 'first' : 'second'}`)).toEqual([
      'first:1:first',
      'slow:1:first',
      'slow:2:second',
      'last:1:second',
    ])
    expect((await durable.journal(runId)).filter((e) => e.kind === 'step_failed').map((e) => `${e.stepKey}#${e.attempt}:${e.error?.code}`)).toEqual(['slow#1:LEASE_EXPIRED'])
    console.info(`dead worker's run moved again ${movedAfterMs} ms after the SIGKILL (leaseMs 30000)`)
  })

  it('does not count a dead worker’s runs as leased: they are due, waiting for a worker', async () => {
    const first = await spawnWorker(env)
    children.push(first)
    const runId = await durable.start('crashable', { slowMs: 2_000 })
    await expect.poll(async () => (await effects(runId)).some((e) => e.step === 'slow'), { timeout: 20_000, interval: 25 }).toBe(true)
    expect(await durable.stats()).toMatchObject({ leased: 1, due: 0 })

    await killHard(first)
    await expect.poll(async () => (await durable.stats()).leased, { timeout: 2_000, interval: 20 }).toBe(0)
    expect(await durable.stats()).toMatchObject({ leased: 0, due: 1, byStatus: { running: 1 } })

    children.push(await spawnWorker(env))
    expect((await durable.waitFor(runId, { timeout: '30s' })).status).toBe('completed')
    expect(await durable.stats()).toMatchObject({ leased: 0, due: 0 })
  })
})
