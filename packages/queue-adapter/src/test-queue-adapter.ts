import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DurableJob, QueueAdapter } from './queue-adapter.js'

/** What a `testQueueAdapter` factory returns: a fresh adapter, and how to tidy up after it. */
export interface QueueAdapterTestSetup {
  adapter: QueueAdapter
  /** Runs after each case, once the suite has stopped its consumers and closed the adapter. */
  cleanup?: () => Promise<void>
  /**
   * Runs `fn` in a store transaction that commits when `fn` resolves and rolls back when it
   * throws (rethrowing). Required when `adapter.transactional` is true: the suite dispatches
   * with `{ transaction }` inside it.
   */
  withTransaction?: (fn: (transaction: unknown) => Promise<void>) => Promise<void>
}

/** Timing knobs of the conformance suite, for engines that poll slowly. */
export interface TestQueueAdapterOptions {
  /** Deadline for every delivery the suite waits for. Default 10 000 ms. */
  timeoutMs?: number
  /** How far ahead the delayed-job case schedules its job. Default 400 ms. */
  delayMs?: number
  /** How long the suite watches for deliveries that must not happen. Default 1 000 ms. */
  quietMs?: number
}

interface Delivery {
  readonly job: DurableJob
  readonly at: number
}

/** Small slack for timers that fire a millisecond early; far below any delay the suite uses. */
const CLOCK_SLACK_MS = 20

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Registers the `QueueAdapter` conformance suite as a vitest `describe` block. Every adapter
 * runs it in its own tests, against its real engine, as Kysely runs its suite against every
 * dialect. `factory` is called before each case; give each call a clean queue (or at least
 * one without jobs left over). Run ids are unique per case, so jobs of other cases are ignored.
 *
 * The cases: every job is delivered with its run id; `runAt` is honoured (not before it, and
 * promptly when in the past); `concurrency` is respected and used; `stop()` waits for running
 * handlers and ends delivery; duplicates are harmless and a run can be dispatched again after a
 * delivery; a throwing handler does not stop later deliveries; and, for `transactional`
 * adapters, a dispatch in a rolled-back transaction is never delivered.
 *
 * ### Example
 * ```ts
 * // test/my-queue.test.ts
 * import { testQueueAdapter } from '@durable/queue-adapter/testing'
 * testQueueAdapter('myQueue', async () => {
 *   const adapter = myQueue({ url: process.env.QUEUE_URL })
 *   return { adapter, cleanup: () => adapter.purge() }
 * })
 * ```
 */
export function testQueueAdapter(name: string, factory: () => Promise<QueueAdapterTestSetup>, options: TestQueueAdapterOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 10_000
  const delayMs = options.delayMs ?? 400
  const quietMs = options.quietMs ?? 1_000
  const caseTimeout = 2 * timeoutMs + 2 * quietMs + delayMs + 10_000

  describe(`QueueAdapter conformance: ${name}`, () => {
    let setup: QueueAdapterTestSetup
    let stops: Array<() => Promise<void>> = []
    let prefix = ''
    let counter = 0

    beforeEach(async () => {
      setup = await factory()
      stops = []
      prefix = `qa-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    })

    afterEach(async () => {
      for (const stop of stops) await stop()
      await setup.adapter.close?.()
      await setup.cleanup?.()
    })

    /** A run id unique to this case. */
    const runId = (label = 'run') => `${prefix}-${label}-${counter++}`

    /** Starts a consumer that records this case's deliveries; stopped after the case. */
    async function consume(concurrency: number, work?: (job: DurableJob) => Promise<void>) {
      const deliveries: Delivery[] = []
      const consumer = await setup.adapter.consume(
        async (job) => {
          if (!job.runId.startsWith(prefix)) return // left over from another case
          deliveries.push({ job, at: Date.now() })
          await work?.(job)
        },
        { concurrency },
      )
      let stopped: Promise<void> | undefined
      const stop = () => (stopped ??= consumer.stop())
      stops.push(stop)
      const count = (id: string) => deliveries.filter((d) => d.job.runId === id).length
      return { deliveries, stop, count }
    }

    async function waitUntil(condition: () => boolean, what: string, deadlineMs = timeoutMs): Promise<void> {
      const deadline = Date.now() + deadlineMs
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`${name}: timed out after ${deadlineMs} ms waiting until ${what}`)
        await sleep(10)
      }
    }

    it(
      'delivers every dispatched job with its runId',
      async () => {
        const ids = Array.from({ length: 20 }, () => runId())
        // Half before the consumer exists, half after: both must arrive.
        for (const id of ids.slice(0, 10)) await setup.adapter.dispatch({ runId: id })
        const { deliveries } = await consume(4)
        for (const id of ids.slice(10)) await setup.adapter.dispatch({ runId: id })
        await waitUntil(() => new Set(deliveries.map((d) => d.job.runId)).size === ids.length, 'all 20 jobs are delivered')
        expect(new Set(deliveries.map((d) => d.job.runId))).toEqual(new Set(ids))
      },
      caseTimeout,
    )

    it(
      'delivers jobs dispatched together (dispatchMany, when the adapter has it) like single ones',
      async () => {
        const { adapter, withTransaction } = setup
        if (adapter.dispatchMany === undefined) return
        const { deliveries, count } = await consume(4)
        const ids = Array.from({ length: 30 }, () => runId('many'))
        const later = runId('many-later')
        const runAt = new Date(Date.now() + delayMs)
        // A run named twice in one call (now and later) is woken once, now.
        await adapter.dispatchMany([...ids.map((id) => ({ runId: id })), { runId: later, runAt }, { runId: ids[0]!, runAt }])
        await waitUntil(() => ids.every((id) => count(id) > 0) && count(later) > 0, 'all jobs of the call are delivered', timeoutMs + delayMs)
        expect(deliveries.find((d) => d.job.runId === later)!.at).toBeGreaterThanOrEqual(runAt.getTime() - CLOCK_SLACK_MS)
        if (adapter.transactional && withTransaction !== undefined) {
          const rolledBack = [runId('many-rolled-back'), runId('many-rolled-back')]
          await expect(
            withTransaction(async (transaction) => {
              await adapter.dispatchMany!(
                rolledBack.map((id) => ({ runId: id })),
                { transaction },
              )
              throw new Error('roll back (expected by the test)')
            }),
          ).rejects.toThrow('roll back')
          await sleep(quietMs)
          expect(rolledBack.map(count)).toEqual([0, 0])
        }
        await expect(adapter.dispatchMany([{ runId: runId() }, { runId: '' }]), 'a call with a bad job').rejects.toThrow()
      },
      caseTimeout,
    )

    it(
      'does not deliver a job before its runAt, and delivers it after',
      async () => {
        const { deliveries, count } = await consume(2)
        const later = runId('later')
        const now = runId('now')
        const runAt = new Date(Date.now() + delayMs)
        await setup.adapter.dispatch({ runId: later, runAt })
        await setup.adapter.dispatch({ runId: now })
        await waitUntil(() => count(later) > 0, `the job due at +${delayMs} ms is delivered`, timeoutMs + delayMs)
        const delivered = deliveries.find((d) => d.job.runId === later)!
        expect(delivered.at).toBeGreaterThanOrEqual(runAt.getTime() - CLOCK_SLACK_MS)
        // The consumer was live all along: the undelayed job did not wait for the delayed one.
        expect(count(now)).toBe(1)
      },
      caseTimeout,
    )

    it(
      'delivers a job whose runAt is in the past promptly',
      async () => {
        const { count } = await consume(1)
        const id = runId('past')
        await setup.adapter.dispatch({ runId: id, runAt: new Date(Date.now() - 60_000) })
        await waitUntil(() => count(id) > 0, 'the overdue job is delivered')
      },
      caseTimeout,
    )

    it(
      'never exceeds concurrency, and uses it',
      async () => {
        let inFlight = 0
        let maxInFlight = 0
        const ids = Array.from({ length: 9 }, () => runId())
        for (const id of ids) await setup.adapter.dispatch({ runId: id })
        const { deliveries } = await consume(3, async () => {
          maxInFlight = Math.max(maxInFlight, ++inFlight)
          await sleep(150)
          inFlight--
        })
        await waitUntil(() => deliveries.length >= ids.length && inFlight === 0, 'all 9 slow jobs are handled')
        expect(maxInFlight).toBeLessThanOrEqual(3)
        expect(maxInFlight).toBeGreaterThan(1)
      },
      caseTimeout,
    )

    it(
      'runs one handler at a time with concurrency 1',
      async () => {
        let inFlight = 0
        let maxInFlight = 0
        const ids = Array.from({ length: 4 }, () => runId())
        for (const id of ids) await setup.adapter.dispatch({ runId: id })
        const { deliveries } = await consume(1, async () => {
          maxInFlight = Math.max(maxInFlight, ++inFlight)
          await sleep(50)
          inFlight--
        })
        await waitUntil(() => deliveries.length >= ids.length && inFlight === 0, 'all 4 jobs are handled')
        expect(maxInFlight).toBe(1)
      },
      caseTimeout,
    )

    it(
      'stop() waits for running handlers, then delivers nothing more',
      async () => {
        let finished = 0
        const ids = Array.from({ length: 4 }, () => runId())
        for (const id of ids) await setup.adapter.dispatch({ runId: id })
        const { deliveries, stop } = await consume(2, async () => {
          await sleep(300)
          finished++
        })
        await waitUntil(() => deliveries.length >= 2, 'two handlers are running')
        await stop()
        const started = deliveries.length
        expect(finished).toBe(started)
        // Two jobs were still queued at stop(); add two more: none may start now.
        await setup.adapter.dispatch({ runId: runId() })
        await setup.adapter.dispatch({ runId: runId() })
        await sleep(quietMs)
        expect(deliveries.length).toBe(started)
      },
      caseTimeout,
    )

    it(
      'treats duplicate dispatches as harmless',
      async () => {
        const { count } = await consume(2)
        const id = runId('dup')
        await Promise.all(Array.from({ length: 5 }, () => setup.adapter.dispatch({ runId: id })))
        await setup.adapter.dispatch({ runId: id, runAt: new Date(Date.now() - 1_000) })
        await setup.adapter.dispatch({ runId: id })
        await waitUntil(() => count(id) > 0, 'the duplicated job is delivered at least once')
      },
      caseTimeout,
    )

    it(
      'delivers a run again when it is dispatched again after a delivery',
      async () => {
        let finished = 0
        const { count } = await consume(1, async () => {
          finished++
        })
        const id = runId('again')
        await setup.adapter.dispatch({ runId: id })
        await waitUntil(() => finished > 0, 'the first dispatch is handled')
        const before = count(id)
        await setup.adapter.dispatch({ runId: id })
        await waitUntil(() => count(id) > before, 'the second dispatch is delivered too')
      },
      caseTimeout,
    )

    it(
      'keeps delivering after a handler throws',
      async () => {
        const badSync = runId('bad-sync')
        const badAsync = runId('bad-async')
        const good = Array.from({ length: 3 }, () => runId('good'))
        const seen: string[] = []
        // Not async on purpose: a handler that throws before returning a promise breaks its type,
        // but must not break the loop either. One consumer only, so no other one takes the jobs.
        const handler = (job: DurableJob): Promise<void> => {
          if (!job.runId.startsWith(prefix)) return Promise.resolve()
          seen.push(job.runId)
          if (job.runId === badSync) throw new Error('handler threw synchronously (expected by the test)')
          if (job.runId === badAsync) return Promise.reject(new Error('handler failed (expected by the test)'))
          return Promise.resolve()
        }
        const consumer = await setup.adapter.consume(handler, { concurrency: 1 })
        stops.push(() => consumer.stop())
        await setup.adapter.dispatch({ runId: badSync })
        await setup.adapter.dispatch({ runId: badAsync })
        await waitUntil(() => seen.includes(badSync) && seen.includes(badAsync), 'the failing jobs are delivered')
        for (const id of good) await setup.adapter.dispatch({ runId: id })
        await waitUntil(() => good.every((id) => seen.includes(id)), 'jobs after the failures are delivered')
      },
      caseTimeout,
    )

    it(
      'drops jobs of rolled-back transactions when transactional',
      async () => {
        const { adapter, withTransaction } = setup
        expect(typeof adapter.transactional).toBe('boolean')
        const { count } = await consume(2)
        if (!adapter.transactional) {
          // Such adapters are called after commit, with no transaction (or an explicit undefined).
          const plain = [runId('plain'), runId('plain')]
          await adapter.dispatch({ runId: plain[0]! }, {})
          await adapter.dispatch({ runId: plain[1]! }, { transaction: undefined })
          await waitUntil(() => plain.every((id) => count(id) > 0), 'jobs dispatched without a transaction are delivered')
          return
        }
        expect(withTransaction, `${name} is transactional: its factory must return withTransaction`).toBeTypeOf('function')
        const rolledBack = runId('rolled-back')
        const committed = runId('committed')
        await expect(
          withTransaction!(async (transaction) => {
            await adapter.dispatch({ runId: rolledBack }, { transaction })
            throw new Error('roll back (expected by the test)')
          }),
        ).rejects.toThrow('roll back')
        await withTransaction!(async (transaction) => {
          await adapter.dispatch({ runId: committed }, { transaction })
          await sleep(Math.min(quietMs, 300))
          expect(count(committed), 'delivered before its transaction committed').toBe(0)
        })
        await waitUntil(() => count(committed) > 0, 'the committed job is delivered')
        await sleep(quietMs)
        expect(count(rolledBack)).toBe(0)
      },
      caseTimeout,
    )
  })
}
