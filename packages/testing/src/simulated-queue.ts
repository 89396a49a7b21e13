import type { Clock } from '@durable/provider'
import { memoryQueue, type DurableJob, type MemoryQueue, type QueueAdapter } from '@durable/queue-adapter'

/**
 * `memoryQueue()` on simulated time. The memory queue holds a job whose `runAt` is in the future
 * on a real `setTimeout`; here "the future" is the simulated clock's, so this queue holds such
 * jobs itself until `release()` finds the clock past them, and hands the memory queue only jobs
 * that are due. It also counts the jobs not yet handled, so the test kit can tell when the
 * runtime has nothing left to do at the current instant.
 *
 * @internal
 */
export class SimulatedQueue implements QueueAdapter {
  readonly transactional = false
  readonly #inner: MemoryQueue = memoryQueue()
  readonly #clock: Clock
  /** Jobs due later in simulated time. */
  #held: DurableJob[] = []
  /** Jobs handed to the memory queue whose handler has not finished yet. */
  #unfinished = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** True while a job is queued or being handled. */
  get busy(): boolean {
    return this.#unfinished > 0
  }

  async dispatch(job: DurableJob, options?: { transaction?: unknown }): Promise<void> {
    if (job.runAt !== undefined && job.runAt.getTime() > this.#clock.now().getTime()) {
      this.#held.push({ runId: job.runId, runAt: new Date(job.runAt) })
      return
    }
    // Counted before the memory queue can hand the job out (it does so on a microtask).
    this.#unfinished++
    try {
      await this.#inner.dispatch({ runId: job.runId }, options)
    } catch (error) {
      this.#unfinished--
      throw error
    }
  }

  async consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }): Promise<{ stop(): Promise<void> }> {
    return this.#inner.consume(async (job) => {
      try {
        await handler(job)
      } finally {
        this.#unfinished--
      }
    }, options)
  }

  /** Hands the memory queue every held job that the clock has reached. */
  async release(): Promise<void> {
    const now = this.#clock.now().getTime()
    const due = this.#held.filter((job) => job.runAt!.getTime() <= now)
    this.#held = this.#held.filter((job) => job.runAt!.getTime() > now)
    for (const job of due) await this.dispatch({ runId: job.runId })
  }

  async close(): Promise<void> {
    this.#held = []
    await this.#inner.close()
    this.#unfinished = 0
  }
}
