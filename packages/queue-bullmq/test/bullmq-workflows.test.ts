import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import type { DurableJob, QueueAdapter } from '@durable/queue-adapter'
import { bullmqQueue } from '@durable/queue-bullmq'
import { postgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { startRedis, type RedisServer } from './redis-server.ts'
import { flaky, log, outage, outageJournal, saga, sagaJournal } from '../../../testing/adapter-workflows.ts'

const quick = defineWorkflow<{ n: number }>('quick')
  .step('one', async (ctx) => ctx.input.n + 1)
  .step('two', async (ctx) => ctx.results.one * 2)

/**
 * Wraps a queue like a process that crashes right after the store committed: the first dispatch
 * of a run never reaches the engine (it throws, as the dying process would never get further).
 */
class CrashBeforeFirstDispatch implements QueueAdapter {
  readonly transactional: boolean
  readonly dispatched: string[] = []
  readonly #inner: QueueAdapter
  readonly #seen = new Set<string>()

  constructor(inner: QueueAdapter) {
    this.#inner = inner
    this.transactional = inner.transactional
  }

  async dispatch(job: DurableJob, options?: { transaction?: unknown }): Promise<void> {
    this.dispatched.push(job.runId)
    if (!this.#seen.has(job.runId)) {
      this.#seen.add(job.runId)
      throw new Error('crashed between commit and dispatch (simulated)')
    }
    return this.#inner.dispatch(job, options)
  }

  consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }) {
    return this.#inner.consume(handler, options)
  }

  async close() {
    await this.#inner.close?.()
  }

  async migrate() {
    await this.#inner.migrate?.()
  }
}

describe('durable workflows on BullMQ', () => {
  let database: TestDatabase
  let redis: RedisServer
  let durable: Durable
  let starter: Durable
  let queue: CrashBeforeFirstDispatch

  beforeAll(async () => {
    ;[database, redis] = await Promise.all([createTestDatabase('bullmq_workflows'), startRedis()])
    const store = postgresStore({ connectionString: database.url })
    const bullmq = bullmqQueue({
      connection: { host: '127.0.0.1', port: redis.port },
      // Resume soon after Redis comes back (BullMQ's default pause is 15 s).
      workerOptions: { runRetryDelay: 250 },
      logger: { warn: () => {} },
    })
    queue = new CrashBeforeFirstDispatch(bullmq)
    durable = createDurable({ store, queue, workflows: [flaky, saga, outage.workflow, quick], logger: silentLogger })
    // Runs are started where no worker runs, so they go through the queue (a local start needs no job).
    starter = createDurable({ store, queue, workflows: [flaky, saga, outage.workflow, quick], logger: silentLogger })
    await durable.migrate()
    await durable.worker({ concurrency: 8, reconcileIntervalMs: 300 }).start()
  })
  afterAll(async () => {
    await durable?.close()
    await redis?.stop()
    await database?.drop()
  })

  /** Starts a run; its first dispatch "crashes", so the run id comes from the store. */
  async function start(workflow: Parameters<Durable['start']>[0], input?: unknown): Promise<string> {
    const name = typeof workflow === 'string' ? workflow : workflow.name
    const before = new Set((await durable.list({ workflowName: name, limit: 1000 })).runs.map((r) => r.id))
    await expect(starter.start(workflow, input as never)).rejects.toThrow(/crashed between commit and dispatch/)
    const created = (await durable.list({ workflowName: name, limit: 1000 })).runs.filter((r) => !before.has(r.id))
    expect(created).toHaveLength(1)
    return created[0]!.id
  }

  it('completes a run whose first job was never dispatched (crash after commit): the reconciler sends it', async () => {
    const runId = await start(quick, { n: 1 })
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ one: 2, two: 4 })
    // The first dispatch was the one that "crashed"; a later one, from the reconciler, woke the run.
    expect(queue.dispatched.filter((id) => id === runId).length).toBeGreaterThanOrEqual(2)
  })

  it('retries a step that fails once, then completes', async () => {
    log.length = 0
    const runId = await start(flaky, { failTimes: 1 })
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ call: { ok: 2 } })
    expect(log).toEqual(['call:1', 'call:2'])
    const journal = await durable.journal(runId)
    expect(journal.map((e) => [e.kind, e.stepKey, e.attempt])).toEqual([
      ['step_failed', 'call', 1],
      ['step_completed', 'call', 2],
    ])
  })

  it('compensates completed steps in reverse when a step fails for good', async () => {
    log.length = 0
    const runId = await start(saga)
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toEqual({ message: 'address is invalid', code: 'NON_RETRYABLE', step: 'ship' })
    expect(log).toEqual(['refund:p1', 'release:r1'])
    expect((await durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)).toEqual(sagaJournal)
  })

  it('loses no run when Redis dies mid-run (all jobs gone) and comes back empty', async () => {
    outage.arm()
    const runId = await start(outage.workflow)
    await outage.entered
    await redis.kill() // SIGKILL, no persistence: every BullMQ job and key is gone
    outage.release() // the step fails; its retry job cannot reach Redis now
    await new Promise((resolve) => setTimeout(resolve, 1_000)) // well past the 200 ms backoff
    expect((await durable.find(runId)).status).not.toBe('completed')
    await redis.restart()
    const done = await durable.waitFor(runId, { timeout: '25s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ before: 'a', during: 'b', after: 'c' })
    expect((await durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}:${e.attempt}`)).toEqual(outageJournal)
  })
})
