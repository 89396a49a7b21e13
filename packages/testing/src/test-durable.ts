import { DurableError, isTerminal, parseDuration, RunNotFoundError, type Duration, type Workflow } from '@durable/core'
import { createDurable, type Durable, type Logger, type RunSnapshot } from '@durable/provider'
import type { QueueAdapter } from '@durable/queue-adapter'
import { MemoryStore } from './memory-store.js'
import { SimulatedClock } from './simulated-clock.js'
import { SimulatedQueue } from './simulated-queue.js'
import { TimeSkipper } from './time-skipper.js'
import { WorkerProcess } from './worker-process.js'

/** Options of {@link testDurable}. */
export interface TestDurableOptions {
  /** The workflows under test, as for `createDurable`. */
  readonly workflows: readonly Workflow[]
  /** Where simulated time starts. Default: the real time now. */
  readonly now?: Date
  /** Default: warnings and errors to stderr, as `createDurable`'s. */
  readonly logger?: Logger
  /** Runs each of the kit's workers drives at once. Default 16. */
  readonly concurrency?: number
  /**
   * Workers the kit runs on the store, each as if in a process of its own. Default 1; more make
   * runs change hands as in a fleet (a duplicate job may reach two of them at once).
   */
  readonly workers?: number
  /** As for `createDurable`. Default 30 000 ms (of simulated time). */
  readonly leaseMs?: number
  /** As for `createDurable`. Default 4 MiB. */
  readonly maxPayloadBytes?: number
}

/**
 * The `Durable` API in memory, on a simulated clock, with its own worker running. See
 * {@link testDurable}.
 */
export interface TestDurable extends Durable {
  /** The simulated clock: `t.clock.now()` is the runtime's time. */
  readonly clock: SimulatedClock
  /** The in-memory store under the runtime, to look at runs as the runtime stored them. */
  readonly store: MemoryStore
  /**
   * The queue the workers consume. Dispatch a wake-up yourself (`t.queue.dispatch({ runId })`)
   * to see that a duplicate or stray job is harmless.
   */
  readonly queue: QueueAdapter
  /**
   * Kills a worker as a crash of its process would — the one that holds run `runId`, or, without
   * `runId`, every worker of the kit. Call it from a step's handler to crash mid-step: the step's
   * result is never recorded (whatever the handler did stays done), the worker's leases stay in
   * the store until they expire (`leaseMs` of simulated time, which `waitFor` and `advance`
   * skip), and then another worker takes the run over and runs the step again, as a new attempt.
   * A fresh worker replaces each one killed at once. Nothing happens when no live worker of the
   * kit holds `runId`.
   */
  crashWorker(runId?: string): Promise<void>
  /**
   * Stalls a worker as a long pause of its process would (a stop-the-world GC, a network
   * partition) — the one that holds run `runId`, or every worker of the kit. Its calls wait, so
   * its leases run out as simulated time moves on, and another worker takes its runs over; a
   * fresh worker replaces it at once. `resume()` lets its calls through, late — a step's result
   * it commits then is refused if the run changed hands, never recorded twice — and it goes on
   * with the runs it still holds (it takes no new jobs). `close()` kills a worker still stalled.
   */
  pauseWorker(runId?: string): Promise<{ resume(): void }>
  /**
   * Resolves once the run has ended, skipping simulated time while no step runs: sleeps,
   * backoffs and signal timeouts fire at once, in order. `timeout` is simulated time: past it,
   * `WAIT_TIMEOUT`. A run that waits for something outside with nothing scheduled (a signal
   * without timeout, say) cannot go on by itself: that is `WAIT_TIMEOUT` at once, saying so.
   */
  waitFor(runId: string, options?: { timeout?: Duration }): Promise<RunSnapshot>
  /**
   * Moves simulated time forward by `duration`, firing what falls due on the way in order, each
   * once the work before it has finished; resolves once the runtime is idle at the new time.
   */
  advance(duration: Duration): Promise<void>
  /** Resolves once no step runs and no wake-up is waiting at the current simulated time. */
  settle(): Promise<void>
}

/**
 * Creates a durable runtime for unit tests of workflows: the whole `Durable` API on
 * `memoryStore()` and `memoryQueue()`, with a simulated clock and a worker started for you. No
 * database, no real waiting: `waitFor` skips simulated time while no step runs, so a `'7d'`
 * sleep, a `'30s'` backoff or a signal's timeout passes in milliseconds of real time. Step
 * handlers run for real (a step's own `timeout` is real time, as is anything a handler awaits).
 *
 * ### Example
 * ```ts
 * import { testDurable } from '@durable/testing'
 *
 * const t = testDurable({ workflows: [approval] })
 * const id = await t.start(approval, { orderId: 'o1' })
 * await t.signal(id, 'approved', { by: 'ada' })
 * const run = await t.waitFor(id)   // a '7d' sleep is skipped: done in milliseconds
 * t.clock.now()                     // the simulated time, 7 days on
 * await t.close()
 * ```
 */
export function testDurable(options: TestDurableOptions): TestDurable {
  if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_INPUT', 'testDurable takes { workflows }')
  const workerCount = options.workers ?? 1
  if (!Number.isInteger(workerCount) || workerCount < 1)
    throw new DurableError('INVALID_INPUT', `testDurable option workers must be a whole number ≥ 1, got ${String(workerCount)}`)
  const clock = new SimulatedClock(options.now)
  const store = new MemoryStore()
  const queue = new SimulatedQueue(clock)
  // The API's runtime has no worker of its own: the kit's workers each run in a runtime of their
  // own on the same store and queue, so that one can crash while the API and the others go on.
  const durable = createDurable({
    store,
    queue,
    workflows: options.workflows,
    clock,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
  })
  const spawn = () =>
    new WorkerProcess({
      store,
      queue,
      clock,
      workflows: options.workflows,
      concurrency: options.concurrency ?? 16,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      ...(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
    })
  const workers = Array.from({ length: workerCount }, spawn)
  /** Workers crashed or paused, replaced in `workers`. */
  const replaced: WorkerProcess[] = []
  // A lease of a crashed or paused worker holds nothing up: it only waits to expire.
  const skipper = new TimeSkipper(clock, store, queue, (owner) => replaced.find((p) => p.worker.id === owner)?.live ?? true)
  /** Resolves once the kit's live workers consume jobs. */
  const started = async () => {
    await Promise.all(workers.map((p) => p.started))
  }
  /** Replaces the workers that hold run `runId` (every one, without it) after `fate` struck them. */
  const strike = async (what: string, runId: string | undefined, fate: (p: WorkerProcess) => void): Promise<WorkerProcess[]> => {
    if (runId !== undefined && typeof runId !== 'string') throw new DurableError('INVALID_INPUT', `${what} takes a run id, or nothing for every worker`)
    let owner: string | null = null
    if (runId !== undefined) {
      const run = await store.getRun(runId)
      if (run === undefined) throw new RunNotFoundError(runId)
      owner = run.leaseOwner
    }
    const struck: WorkerProcess[] = []
    for (const [i, p] of workers.entries()) {
      if (runId !== undefined && p.worker.id !== owner) continue
      fate(p)
      struck.push(p)
      replaced.push(p)
      workers[i] = spawn()
    }
    await started()
    return struck
  }

  const own = {
    clock,
    store,
    queue: queue as QueueAdapter,
    crashWorker: async (runId?: string) => {
      await strike('crashWorker', runId, (p) => p.crash())
    },
    pauseWorker: async (runId?: string) => {
      const paused = await strike('pauseWorker', runId, (p) => p.pause())
      return { resume: () => paused.forEach((p) => p.resume()) }
    },
    settle: async () => {
      await started()
      await skipper.settle()
    },
    advance: async (duration: Duration) => {
      const ms = parseDuration(duration, 'advance duration', 'INVALID_INPUT')
      await started()
      await skipper.exclusive(() => skipper.runUntil(new Date(clock.now().getTime() + ms)))
    },
    waitFor: async (runId: string, waitOptions: { timeout?: Duration } = {}): Promise<RunSnapshot> => {
      await started()
      const timeoutMs = waitOptions?.timeout === undefined ? undefined : parseDuration(waitOptions.timeout, 'waitFor timeout', 'INVALID_INPUT')
      const limit = timeoutMs === undefined ? undefined : clock.now().getTime() + timeoutMs
      const ended = async () => isTerminal((await durable.find(runId)).status)
      for (;;) {
        // One step of skipping at a time, so that concurrent waitFors take turns (see `exclusive`).
        const outcome = await skipper.exclusive(async (): Promise<'ended' | 'moved' | 'timedOut' | 'stuck'> => {
          await skipper.settle()
          if (await ended()) return 'ended'
          const next = skipper.nextDueAt()
          if (next !== null && (limit === undefined || next.getTime() <= limit)) {
            await skipper.moveTo(next)
            return 'moved'
          }
          if (limit === undefined) return 'stuck'
          return (await skipper.runUntil(new Date(limit), ended)) ? 'ended' : 'timedOut'
        })
        if (outcome === 'moved') continue
        const run = await durable.find(runId)
        if (outcome === 'ended') return run
        if (outcome === 'timedOut') throw new DurableError('WAIT_TIMEOUT', `run "${runId}" is still ${run.status} after ${String(waitOptions.timeout)} of simulated time`)
        throw new DurableError(
          'WAIT_TIMEOUT',
          `run "${runId}" is ${run.status} and nothing is scheduled: it waits for something from outside (a signal: t.signal(runId, name, payload)?), so skipping time cannot end it`,
        )
      }
    },
    close: async () => {
      await Promise.all([...workers, ...replaced].map((p) => p.started.catch(() => {}).then(() => p.stop())))
      await durable.close()
    },
  }
  // Every other member is the runtime's own, bound to it (its methods use private fields, so
  // they must be called on it), so `t` keeps the whole `Durable` API as that API grows.
  return new Proxy(durable, {
    get(target, property) {
      if (Object.hasOwn(own, property)) return own[property as keyof typeof own]
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as TestDurable
}
