import { DurableError } from '@durable/core'
import type { DurableJob, QueueAdapter } from './queue-adapter.js'

/** setTimeout's longest delay (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1

interface MemoryConsumer {
  readonly handler: (job: DurableJob) => Promise<void>
  readonly concurrency: number
  readonly inFlight: Set<Promise<void>>
}

/**
 * An in-process queue: jobs live in this process's memory, delayed jobs on timers. Not
 * `transactional`, so the provider dispatches after commit. Jobs are gone when the process
 * exits, which is fine for durable: the provider's reconciler re-dispatches due runs.
 *
 * Use it in tests, scripts and single-process apps; use `@durable/queue-postgres` (or another
 * persistent adapter) when several processes work on the same store.
 */
export class MemoryQueue implements QueueAdapter {
  readonly transactional = false
  /** Due jobs not yet handed to a consumer, oldest first. */
  #ready: DurableJob[] = []
  #timers = new Set<NodeJS.Timeout>()
  #consumers: MemoryConsumer[] = []
  #pumpScheduled = false
  #closed = false

  /** Queues `job`; a `runAt` in the future holds it on a timer until then. */
  async dispatch(job: DurableJob, _options?: { transaction?: unknown }): Promise<void> {
    this.#assertOpen('dispatch')
    if (typeof job?.runId !== 'string' || job.runId === '') {
      throw new DurableError('INVALID_INPUT', 'memoryQueue.dispatch: job.runId must be a non-empty string')
    }
    if (job.runAt !== undefined && !(job.runAt instanceof Date && Number.isFinite(job.runAt.getTime()))) {
      throw new DurableError('INVALID_INPUT', `memoryQueue.dispatch: job.runAt of run "${job.runId}" is not a valid Date`)
    }
    // Copy: the caller may reuse or mutate its object after dispatch returns.
    const copy: DurableJob = job.runAt ? { runId: job.runId, runAt: new Date(job.runAt) } : { runId: job.runId }
    if (copy.runAt && copy.runAt.getTime() > Date.now()) this.#holdUntil(copy, copy.runAt.getTime())
    else this.#enqueue(copy)
  }

  /** Delivers jobs to `handler`; several consumers of one queue share its jobs. */
  async consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }): Promise<{ stop(): Promise<void> }> {
    this.#assertOpen('consume')
    const concurrency = options?.concurrency
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new DurableError('INVALID_INPUT', `memoryQueue.consume: concurrency must be a positive integer, got ${String(concurrency)}`)
    }
    const consumer: MemoryConsumer = { handler, concurrency, inFlight: new Set() }
    this.#consumers.push(consumer)
    this.#schedulePump()
    return { stop: () => this.#stop(consumer) }
  }

  /** Stops every consumer (waiting for their handlers), cancels timers and drops queued jobs. */
  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.#ready = []
    await Promise.all(this.#consumers.map((consumer) => this.#stop(consumer)))
  }

  #holdUntil(job: DurableJob, at: number): void {
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer)
        // Timers may fire a millisecond early, and long delays are chained: check the clock again.
        if (at > Date.now()) this.#holdUntil(job, at)
        else this.#enqueue(job)
      },
      Math.min(at - Date.now(), MAX_TIMER_MS),
    )
    // A pending wake-up alone must not keep the process alive; the jobs are in memory anyway.
    timer.unref()
    this.#timers.add(timer)
  }

  #enqueue(job: DurableJob): void {
    this.#ready.push(job)
    this.#schedulePump()
  }

  /**
   * Hands out jobs on a microtask rather than inside `dispatch`: a handler must never start
   * while its dispatcher is still on the stack (a handler that dispatches would recurse).
   */
  #schedulePump(): void {
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    queueMicrotask(() => {
      this.#pumpScheduled = false
      this.#pump()
    })
  }

  /** Deals ready jobs one at a time round the consumers with free slots, so they share the work. */
  #pump(): void {
    let dealt = true
    while (this.#ready.length > 0 && dealt) {
      dealt = false
      for (const consumer of this.#consumers) {
        if (consumer.inFlight.size >= consumer.concurrency) continue
        const job = this.#ready.shift()
        if (!job) return
        this.#run(consumer, job)
        dealt = true
      }
    }
  }

  #run(consumer: MemoryConsumer, job: DurableJob): void {
    const running: Promise<void> = (async () => {
      try {
        await consumer.handler(job)
      } catch {
        // Swallowed on purpose: the provider records step failures in the store and the
        // reconciler re-dispatches the run, so a failed delivery needs no retry here.
      }
    })().finally(() => {
      consumer.inFlight.delete(running)
      this.#schedulePump()
    })
    consumer.inFlight.add(running)
  }

  async #stop(consumer: MemoryConsumer): Promise<void> {
    this.#consumers = this.#consumers.filter((other) => other !== consumer)
    // Nothing new starts for a consumer off the list, so waiting once for the current set suffices.
    await Promise.all(consumer.inFlight)
  }

  #assertOpen(action: string): void {
    if (this.#closed) throw new Error(`memoryQueue.${action}: the queue is closed`)
  }
}

/**
 * Creates an in-process {@link MemoryQueue}: no setup, not persistent, not transactional.
 *
 * ### Example
 * ```ts
 * const durable = createDurable({ store, queue: memoryQueue(), workflows: [checkout] })
 * ```
 */
export function memoryQueue(): MemoryQueue {
  return new MemoryQueue()
}
