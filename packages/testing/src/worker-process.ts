import type { RunStore, Workflow } from '@durable/core'
import { consoleLogger, createDurable, type Clock, type DurableWorker, type Logger } from '@durable/provider'
import type { DurableJob, QueueAdapter } from '@durable/queue-adapter'

/** What a worker process shares with the others: the store, the queue, the clock and the runtime's options. */
export interface WorkerProcessOptions {
  readonly store: RunStore
  readonly queue: QueueAdapter
  readonly clock: Clock
  readonly workflows: readonly Workflow[]
  readonly concurrency: number
  readonly logger?: Logger
  readonly leaseMs?: number
  readonly maxPayloadBytes?: number
}

/**
 * One worker of `testDurable()`, in a runtime of its own, as if in a process of its own: it
 * reaches the shared store, queue and logger only through a connection the kit can cut.
 *
 * - `crash()` is a killed process: nothing more it does reaches the others — no commit, no lease
 *   given back or renewed, no job dispatched — so its leases stay until they expire, and its
 *   handlers' results are lost. Its code still running (a step handler) runs on, unseen.
 * - `pause()` is a process stalled (a long GC pause, a partition): its calls wait, its leases
 *   run out meanwhile, and the queue deals it no more jobs. `resume()` lets its calls through,
 *   late: the lease fencing must then refuse what it no longer holds.
 *
 * @internal
 */
export class WorkerProcess {
  readonly worker: DurableWorker
  /** Resolves once the worker consumes jobs. */
  readonly started: Promise<void>
  #state: 'live' | 'paused' | 'dead' = 'live'
  /** Opens the gate paused calls wait at. */
  #resume: (() => void) | undefined
  #gate: Promise<void> | undefined
  /** Resolves when the process stops handling its jobs (paused or dead): the queue counts them done. */
  #cutOff!: () => void
  readonly #jobsCutOff = new Promise<void>((resolve) => (this.#cutOff = resolve))
  #consumer: { stop(): Promise<void> } | undefined
  #stopped: Promise<void> | undefined

  constructor(options: WorkerProcessOptions) {
    const runtime = createDurable({
      store: this.#connection(options.store),
      queue: this.#queueConnection(options.queue),
      workflows: options.workflows,
      clock: options.clock,
      logger: this.#connection(options.logger ?? consoleLogger, () => undefined),
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      ...(options.maxPayloadBytes !== undefined ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
    })
    this.worker = runtime.worker({ concurrency: options.concurrency })
    // Not awaited here: start() marks the worker started before its first await, and the callers
    // that need it (the kit's settle, advance, waitFor, close) await `started`.
    this.started = this.worker.start()
    this.started.catch(() => {}) // reported by the calls that await it
  }

  /** False while paused or after a crash: its leases then hold nothing up. */
  get live(): boolean {
    return this.#state === 'live'
  }

  /** Kills the worker (see the class); a paused one too: its waiting calls then fail. */
  crash(): void {
    if (this.#state === 'dead') return
    this.#state = 'dead'
    this.#resume?.()
    this.#cutOff()
    // Stops its timers and takes it off the queue; it can give nothing back now.
    this.#stopped = this.worker.stop().catch(() => {})
  }

  /** Stalls the worker (see the class) until `resume()`. */
  pause(): void {
    if (this.#state !== 'live') return
    this.#state = 'paused'
    this.#gate = new Promise((resolve) => (this.#resume = resolve))
    this.#cutOff()
    void this.#consumer?.stop()
  }

  /** Lets a paused worker's calls through, in the order they were made; it takes no new jobs. */
  resume(): void {
    if (this.#state !== 'paused') return
    this.#state = 'live'
    this.#resume?.()
  }

  /** Stops a live worker as `stop()` does (it hands its leases back); a paused one dies (see `crash`). */
  async stop(): Promise<void> {
    if (this.#state === 'paused') this.crash()
    this.#stopped ??= this.worker.stop()
    await this.#stopped
  }

  /**
   * `target` as this process sees it: its methods, bound to it (the store's use private fields),
   * wait while the process is paused and fail with `dead()` once it crashed.
   */
  #connection<T extends object>(target: T, dead: () => unknown = () => Promise.reject(new Error('testDurable: this worker crashed'))): T {
    const call = (method: (...args: unknown[]) => unknown, args: unknown[]): unknown => {
      if (this.#state === 'dead') return dead()
      if (this.#state === 'paused') return this.#gate!.then(() => call(method, args))
      return Reflect.apply(method, target, args)
    }
    return new Proxy(target, {
      get: (object, property) => {
        const value: unknown = Reflect.get(object, property, object)
        return typeof value === 'function' ? (...args: unknown[]) => call(value as (...args: unknown[]) => unknown, args) : value
      },
    })
  }

  /** The queue as this process sees it: its jobs in hand count as done once it stalls or dies. */
  #queueConnection(queue: QueueAdapter): QueueAdapter {
    const connection = this.#connection(queue)
    return {
      transactional: queue.transactional,
      dispatch: (job, options) => connection.dispatch(job, options),
      consume: async (handler, options) => {
        const handle = (job: DurableJob) => Promise.race([handler(job), this.#jobsCutOff])
        this.#consumer = await queue.consume(handle, options)
        return this.#consumer
      },
    }
  }
}
