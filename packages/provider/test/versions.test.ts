import { PGlite } from '@electric-sql/pglite'
import { defineWorkflow, NonRetryableError, type Workflow } from '@durable/core'
import { createDurable, silentLogger, type Durable, type DurableWorker, type Logger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

interface Order {
  readonly sku: string
  readonly failCharge?: boolean
}

const ran: string[] = []
const record = (step: string, version: string) => ran.push(`${step}@${version}`)

const v1 = defineWorkflow<Order>('checkout', { version: '1' })
  .step('reserve', async (ctx) => (record('reserve', '1'), `reserved ${ctx.input.sku}`))
  .step('charge', async (ctx) => {
    record('charge', '1')
    if (ctx.input.failCharge) throw new NonRetryableError('card refused')
    return 'charged'
  })
const v2 = defineWorkflow<Order>('checkout', { version: '2' })
  .step('reserve', async (ctx) => (record('reserve', '2'), `reserved ${ctx.input.sku} (v2)`))
  .step('fraud', async () => (record('fraud', '2'), 'clean'))
  .step('charge', async (ctx) => (record('charge', '2'), `charged after ${ctx.results.fraud}`))

// The same name and no version, before and after a deploy that removed a signal wait.
const before = defineWorkflow('approval')
  .step('prepare', async () => (record('prepare', 'before'), 'prepared'))
  .waitForSignal('go')
  .step('ship', async (ctx) => (record('ship', 'before'), `shipped on ${JSON.stringify(ctx.results.go)}`))
const after = defineWorkflow('approval')
  .step('prepare', async () => (record('prepare', 'after'), 'prepared'))
  .step('ship', async () => (record('ship', 'after'), 'shipped'))
const afterAsV2 = defineWorkflow('approval', { version: '2' })
  .step('prepare', async () => (record('prepare', 'after'), 'prepared'))
  .step('ship', async () => (record('ship', 'after'), 'shipped'))

// A rename: `b` became `b2`, without a new version.
const named = defineWorkflow('renamed')
  .step('a', async () => (record('a', 'old'), 'a'))
  .step('b', async () => (record('b', 'old'), 'b'))
const renamed = defineWorkflow('renamed')
  .step('a', async () => (record('a', 'new'), 'a'))
  .step('b2', async (ctx) => (record('b2', 'new'), ctx.results))

/** Several runtimes on one database, as in a rolling deploy: each with its own store and workflows. */
interface Fleet {
  runtime(workflows: Workflow[], logger?: Logger): Promise<{ durable: Durable; worker: DurableWorker; store: PostgresStore }>
  close(): Promise<void>
}

function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = []
  return { warnings, info: () => {}, warn: (_obj, msg) => void warnings.push(msg ?? ''), error: () => {} }
}

const fleets: Array<[string, () => Promise<Fleet>]> = [
  [
    'postgres',
    async () => {
      const database: TestDatabase = await createTestDatabase('versions')
      return fleetOn(
        () => postgresStore({ connectionString: database.url }),
        () => database.drop(),
      )
    },
  ],
  [
    'pglite',
    async () => {
      const pglite = new PGlite()
      return fleetOn(
        () => postgresStore({ pglite }),
        () => pglite.close(),
      )
    },
  ],
]

function fleetOn(newStore: () => PostgresStore, cleanup: () => Promise<void>): Fleet {
  const runtimes: Durable[] = []
  return {
    async runtime(workflows, logger = silentLogger) {
      const store = newStore()
      const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 100 }), workflows, logger })
      await durable.migrate()
      runtimes.push(durable)
      return { durable, store, worker: durable.worker({ concurrency: 4, reconcileIntervalMs: 200 }) }
    },
    async close() {
      for (const durable of runtimes) await durable.close()
      await cleanup()
    },
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.each(fleets)('versions and shapes (%s)', (_name, makeFleet) => {
  let fleet: Fleet
  beforeAll(async () => {
    fleet = await makeFleet()
  })
  afterAll(async () => {
    await fleet.close()
  })

  it('runs several versions side by side: a name starts the one listed last, a definition its own', async () => {
    const { durable, worker } = await fleet.runtime([v1, v2])
    await worker.start()
    ran.length = 0
    const byName = await durable.start('checkout', { sku: 'A1' })
    const byDefinition = await durable.start(v1, { sku: 'B2' })
    const [current, old] = await Promise.all([durable.waitFor(byName, { timeout: '10s' }), durable.waitFor(byDefinition, { timeout: '10s' })])
    expect(current).toMatchObject({ status: 'completed', version: '2', results: { reserve: 'reserved A1 (v2)', fraud: 'clean', charge: 'charged after clean' } })
    expect(old).toMatchObject({ status: 'completed', version: '1', results: { reserve: 'reserved B2', charge: 'charged' } })
    expect(ran.filter((r) => r.endsWith('@1')).sort()).toEqual(['charge@1', 'reserve@1'])
    expect((await durable.list({ workflowName: 'checkout' })).runs.map((r) => r.version).sort()).toEqual(['1', '2'])
    await worker.stop()
  })

  it('refuses two definitions of one name with the same version, or both without one', () => {
    const again = defineWorkflow('checkout', { version: '1' }).step('x', async () => 1)
    const store = postgresStore({ pglite: new PGlite() })
    expect(() => createDurable({ store, queue: postgresQueue({ store }), workflows: [v1, again] })).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
    expect(() => createDurable({ store, queue: postgresQueue({ store }), workflows: [before, after] })).toThrow(/without a version/)
    expect(() => createDurable({ store, queue: postgresQueue({ store }), workflows: [before, afterAsV2] })).not.toThrow()
  })

  it('leaves a run whose steps changed without a new version waiting, says why once, and finishes it once its definition is back', async () => {
    ran.length = 0
    const old = await fleet.runtime([before])
    await old.worker.start()
    const runId = await old.durable.start('approval')
    await expect.poll(async () => (await old.durable.find(runId)).status, { timeout: 10_000, interval: 20 }).toBe('waiting')
    await old.worker.stop()

    // The new code has no `go` step under the same name and version: it must not drive the run.
    const log = capture()
    const deployed = await fleet.runtime([after], log)
    await deployed.worker.start()
    await deployed.durable.signal(runId, 'go', { by: 'ada' })
    await deployed.durable.signal(runId, 'go', { by: 'bob' })
    await expect.poll(() => log.warnings.filter((w) => w.includes(runId)).length, { timeout: 10_000, interval: 20 }).toBe(1)
    await pause(600)
    expect(log.warnings.filter((w) => w.includes(runId))).toHaveLength(1)
    expect(log.warnings[0]).toMatch(/waits: the code registered under that name and version has other steps/)
    expect(log.warnings[0]).toContain('steps only in the run: waitForSignal:go')
    expect(ran).toEqual(['prepare@before'])
    expect((await deployed.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)).toEqual(['step_completed:prepare'])
    expect((await deployed.durable.find(runId)).status).toBe('waiting')
    await deployed.worker.stop()

    // Registered beside the new version, the old definition finishes it: the first signal goes in.
    const both = await fleet.runtime([before, afterAsV2])
    await both.worker.start()
    const done = await both.durable.waitFor(runId, { timeout: '10s' })
    expect(done).toMatchObject({ status: 'completed', version: null, results: { prepare: 'prepared', go: { by: 'ada' }, ship: 'shipped on {"by":"ada"}' } })
    expect(ran).toEqual(['prepare@before', 'ship@before'])
    await both.worker.stop()
  })

  it('does not run a renamed step for a run that started with the old name', async () => {
    ran.length = 0
    const old = await fleet.runtime([named])
    const runId = await old.durable.start('renamed')
    const log = capture()
    const deployed = await fleet.runtime([renamed], log)
    await deployed.worker.start()
    await expect.poll(() => log.warnings.some((w) => w.includes(runId)), { timeout: 10_000, interval: 20 }).toBe(true)
    expect(log.warnings.find((w) => w.includes(runId))).toContain('steps only in the run: step:b; steps only in the code: step:b2')
    expect(ran).toEqual([])
    expect(await deployed.durable.journal(runId)).toEqual([])
    await deployed.worker.stop()
    await old.worker.start()
    expect(await old.durable.waitFor(runId, { timeout: '10s' })).toMatchObject({ status: 'completed', results: { a: 'a', b: 'b' } })
    expect(ran).toEqual(['a@old', 'b@old'])
    await old.worker.stop()
  })

  it('leaves a version this worker does not have to a worker that has it (a rolling deploy)', async () => {
    ran.length = 0
    const newer = await fleet.runtime([v2])
    await newer.worker.start()
    const older = await fleet.runtime([v1])
    const runId = await older.durable.start(v1, { sku: 'C3' })
    await pause(800)
    expect((await newer.durable.find(runId)).status).toBe('pending')
    expect(ran).toEqual([])
    await older.worker.start()
    expect(await older.durable.waitFor(runId, { timeout: '10s' })).toMatchObject({ status: 'completed', version: '1' })
    expect(ran).toEqual(['reserve@1', 'charge@1'])
    await Promise.all([newer.worker.stop(), older.worker.stop()])
  })

  it('forks a failed run onto a new version: steps before fromStep keep their results and do not run again', async () => {
    const { durable, worker } = await fleet.runtime([v1, v2])
    await worker.start()
    ran.length = 0
    const failed = await durable.start(v1, { sku: 'D4', failCharge: true })
    expect(await durable.waitFor(failed, { timeout: '10s' })).toMatchObject({ status: 'failed', error: { step: 'charge' } })
    const journalBefore = await durable.journal(failed)
    ran.length = 0

    const forked = await durable.fork(failed, { version: '2' })
    const done = await durable.waitFor(forked, { timeout: '10s' })
    // v2's first step the original did not finish is `fraud`: it runs, then `charge`.
    expect(done).toMatchObject({
      status: 'completed',
      version: '2',
      input: { sku: 'D4', failCharge: true },
      results: { reserve: 'reserved D4', fraud: 'clean', charge: 'charged after clean' },
    })
    expect(ran).toEqual(['fraud@2', 'charge@2'])
    const journal = await durable.journal(forked)
    expect(journal.map((e) => `${e.seq}:${e.kind}:${e.stepKey}`)).toEqual(['1:step_completed:reserve', '2:step_completed:fraud', '3:step_completed:charge'])
    // The copy keeps the original's time: the fork's journal replays to the fork's state.
    expect(journal[0]!.createdAt).toEqual(journalBefore.find((e) => e.stepKey === 'reserve')!.createdAt)
    expect(await durable.journal(failed)).toEqual(journalBefore)
    expect((await durable.find(failed)).status).toBe('failed')
    await worker.stop()
  })

  it('forks from a named step of the same version, and refuses what it cannot fork', async () => {
    const { durable, worker } = await fleet.runtime([v1, v2])
    await worker.start()
    const original = await durable.start(v2, { sku: 'E5' })
    await durable.waitFor(original, { timeout: '10s' })
    ran.length = 0
    const again = await durable.fork(original, { fromStep: 'charge' })
    expect(await durable.waitFor(again, { timeout: '10s' })).toMatchObject({ status: 'completed', version: '2', results: { reserve: 'reserved E5 (v2)', fraud: 'clean' } })
    expect(ran).toEqual(['charge@2'])

    const runsBefore = (await durable.stats()).total
    await expect(durable.fork(original, { fromStep: 'nope' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"reserve", "fraud", "charge"') })
    await expect(durable.fork(original, { version: '9' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"1", "2"') })
    await expect(durable.fork(original)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('fromStep') })
    await expect(durable.fork('01NOPE0000000000000000000')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' })
    await expect(durable.fork(original, { fromStep: 3 as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect((await durable.stats()).total).toBe(runsBefore)
    await worker.stop()
  })
})
