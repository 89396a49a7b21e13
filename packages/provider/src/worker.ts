import { hostname } from 'node:os'
import { DurableError } from '@durable/core'
import type { DurableJob } from '@durable/queue-adapter'
import { ulid } from 'ulid'
import { RunExecution } from './run-execution.js'
import { RunExecutor } from './run-executor.js'
import type { RuntimeContext } from './runtime-context.js'

/** Options of `durable.worker()`. */
export interface WorkerOptions {
  /** Runs driven at once. Default 16. */
  concurrency?: number
  /** How often the reconciler looks for due, unleased runs whose job was lost. Default 2000 ms. */
  reconcileIntervalMs?: number
  /** How long `stop()` lets running steps finish before abandoning them. Default 10,000 ms. */
  stopTimeoutMs?: number
}

/** A worker: `start()` consumes jobs and drives runs; `stop()` hands its runs back. */
export interface DurableWorker {
  /** Worker id, used as the lease owner. */
  readonly id: string
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Consumes wake-up jobs and drives runs. Besides the queue, two timers keep the promises:
 * lease renewal (a long step keeps its run) and the reconciler (a run whose job was lost, or
 * whose worker died, is dispatched again once it is due and unleased).
 */
export class Worker implements DurableWorker {
  readonly id = `${hostname()}:${process.pid}:${ulid()}`
  readonly #rt: RuntimeContext
  readonly #executor: RunExecutor
  readonly #concurrency: number
  readonly #reconcileIntervalMs: number
  readonly #stopTimeoutMs: number
  readonly #inFlight = new Map<string, RunExecution>()
  #consumer: { stop(): Promise<void> } | undefined
  #timers: NodeJS.Timeout[] = []
  #state: 'new' | 'started' | 'stopping' | 'stopped' = 'new'

  constructor(runtime: RuntimeContext, options: WorkerOptions = {}) {
    this.#rt = runtime
    this.#executor = new RunExecutor(runtime, this.id)
    this.#concurrency = positiveInteger(options.concurrency ?? 16, 'concurrency')
    this.#reconcileIntervalMs = positiveInteger(options.reconcileIntervalMs ?? 2000, 'reconcileIntervalMs')
    this.#stopTimeoutMs = positiveInteger(options.stopTimeoutMs ?? 10_000, 'stopTimeoutMs')
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new DurableError('INVALID_INPUT', `worker ${this.id} was already started; create a new one with durable.worker()`)
    this.#state = 'started'
    this.#consumer = await this.#rt.queue.consume((job) => this.#handle(job), { concurrency: this.#concurrency })
    this.#timers.push(setInterval(() => void this.#renewLeases(), Math.max(50, Math.floor(this.#rt.leaseMs / 3))))
    this.#timers.push(setInterval(() => void this.#reconcile(), this.#reconcileIntervalMs))
    for (const timer of this.#timers) timer.unref()
    void this.#reconcile()
  }

  /** Lets running steps finish (up to `stopTimeoutMs`), then gives every lease back. */
  async stop(): Promise<void> {
    if (this.#state !== 'started') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopping'
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    for (const execution of this.#inFlight.values()) execution.requestStop()
    const deadline = setTimeout(() => {
      for (const execution of this.#inFlight.values()) {
        execution.abort(new DurableError('RUN_CANCELLED', `worker ${this.id} stopped before the step finished (stopTimeoutMs)`))
      }
    }, this.#stopTimeoutMs)
    try {
      await this.#consumer?.stop()
    } finally {
      clearTimeout(deadline)
      this.#state = 'stopped'
    }
  }

  async #handle(job: DurableJob): Promise<void> {
    if (this.#state !== 'started' || this.#inFlight.has(job.runId)) return
    const execution = new RunExecution(job.runId)
    this.#inFlight.set(job.runId, execution)
    try {
      await this.#executor.advance(execution)
    } catch (error) {
      this.#rt.logger.error({ runId: job.runId, err: error }, `could not advance run "${job.runId}"; the reconciler will try again`)
    } finally {
      this.#inFlight.delete(job.runId)
    }
  }

  async #renewLeases(): Promise<void> {
    const leased = [...this.#inFlight.values()].filter((e) => e.leased)
    if (leased.length === 0) return
    try {
      const until = new Date(this.#rt.clock.now().getTime() + this.#rt.leaseMs)
      const held = new Set(await this.#rt.store.renewLeases(this.id, leased.map((e) => e.runId), until))
      for (const execution of leased) {
        if (!held.has(execution.runId) && execution.leased) {
          execution.abort(new DurableError('LEASE_LOST', `worker ${this.id} lost the lease of run "${execution.runId}"`))
        }
      }
    } catch (error) {
      this.#rt.logger.warn({ err: error }, 'could not renew leases; will retry')
    }
  }

  async #reconcile(): Promise<void> {
    if (this.#state !== 'started') return
    try {
      // A grace of one interval: a run started a moment ago is not yet late, its job is on its way.
      const now = new Date(this.#rt.clock.now().getTime() - this.#reconcileIntervalMs)
      const due = await this.#rt.store.findDueRuns({ now, workflowNames: this.#rt.registry.names, limit: 100 })
      for (const runId of due) {
        if (!this.#inFlight.has(runId)) await this.#rt.queue.dispatch({ runId })
      }
    } catch (error) {
      this.#rt.logger.warn({ err: error }, 'reconciler scan failed; will retry')
    }
  }
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DurableError('INVALID_INPUT', `worker option ${name} must be a whole number ≥ 1, got ${String(value)}`)
  }
  return value
}
