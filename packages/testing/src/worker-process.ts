import type { RunStore, Workflow } from '@durable/core'
import { consoleLogger, createDurable, type Clock, type DurableWorker, type Logger } from '@durable/provider'
import type { QueueAdapter } from '@durable/queue-adapter'

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
 * reaches the shared store and queue only through a connection that `crash()` cuts. A crash is
 * then what a killed process is to the others: nothing more it does reaches the store or the
 * queue — no commit, no lease given back or renewed, no job dispatched — so the leases it holds
 * stay until they expire, and its handlers' results are lost. Code of it still running (a step
 * handler) runs on, unseen: its writes are refused and its log lines dropped.
 *
 * @internal
 */
export class WorkerProcess {
  readonly worker: DurableWorker
  /** Resolves once the worker consumes jobs. */
  readonly started: Promise<void>
  #dead = false
  #stopped: Promise<void> | undefined

  constructor(options: WorkerProcessOptions) {
    const runtime = createDurable({
      store: this.#connection(options.store),
      queue: this.#connection(options.queue),
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

  get alive(): boolean {
    return !this.#dead
  }

  /**
   * Kills the worker: from now on its calls to the store and the queue fail, as a dead process's
   * would never arrive. Its timers stop and the queue deals it no more jobs (its `stop()`, which
   * can give nothing back now); what it was handling unwinds on the refused writes.
   */
  crash(): void {
    if (this.#dead) return
    this.#dead = true
    this.#stopped = this.worker.stop().catch(() => {})
  }

  /** Stops a live worker as `stop()` does (it hands its leases back); waits for a crashed one to unwind. */
  async stop(): Promise<void> {
    this.#stopped ??= this.worker.stop()
    await this.#stopped
  }

  /**
   * `target` as this process sees it: its methods, bound to it (the store's use private fields),
   * fail with `dead()` once the process crashed.
   */
  #connection<T extends object>(target: T, dead: () => unknown = () => Promise.reject(new Error('testDurable: this worker crashed (t.crashWorker())'))): T {
    return new Proxy(target, {
      get: (object, property) => {
        const value: unknown = Reflect.get(object, property, object)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => (this.#dead ? dead() : Reflect.apply(value, object, args))
      },
    })
  }
}
