import type { MemoryStore } from './memory-store.js'
import type { SimulatedClock } from './simulated-clock.js'
import type { SimulatedQueue } from './simulated-queue.js'

/** Quiet turns of the event loop in a row that make the runtime idle (see `settle`). */
const QUIET_TURNS = 3

/**
 * Moves simulated time the way Temporal's time-skipping test server does: never while a step
 * runs, and then straight to the next instant at which a run is due — a sleep's end, a backoff's
 * end, a signal's timeout — so timers fire at once in real time, in order, each after what came
 * before it has finished.
 *
 * "Nothing runs" is read from the store and the queue, which see everything the runtime does: no
 * run is held by a live worker's lease (a worker holds one from its claim until the run parks or
 * ends), and no job is queued or being handled. The runtime's own real timers (lease renewal,
 * the reconciler) are not needed for that: a run leaves its lease only by a commit, and the queue
 * counts every wake-up. A crashed worker's leases hold nothing up: they wait for their expiry,
 * which is a due time like any other.
 *
 * @internal
 */
export class TimeSkipper {
  readonly #clock: SimulatedClock
  readonly #store: MemoryStore
  readonly #queue: SimulatedQueue
  /** True for a lease owner that is a live worker (not a crashed one). */
  readonly #live: (owner: string) => boolean
  /** The end of the last `exclusive` task: the next one starts after it. */
  #turn: Promise<unknown> = Promise.resolve()

  constructor(clock: SimulatedClock, store: MemoryStore, queue: SimulatedQueue, live: (owner: string) => boolean) {
    this.#clock = clock
    this.#store = store
    this.#queue = queue
    this.#live = live
  }

  /**
   * Runs `fn` once every `fn` given before has finished. Two callers skipping time at once (two
   * `waitFor`s of a `Promise.all`) must not interleave: one could read the next due time while
   * the runs the other just woke for an earlier one are still starting, and move the clock past
   * them.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#turn.then(fn)
    this.#turn = result.catch(() => {})
    return result
  }

  /**
   * Resolves once the runtime is idle at the current simulated instant: no step running, no job
   * waiting, for a few turns of the event loop in a row (a commit's follow-up — a job dispatched
   * after it — runs on the microtasks between two turns).
   */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < QUIET_TURNS;) {
      if (await this.#busy()) {
        quiet = 0
        // A step is running (perhaps on real I/O or timers): look again soon, without spinning.
        await new Promise((resolve) => setTimeout(resolve, 1))
      } else {
        quiet++
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }

  /** The next instant a run is due, if any; null when every active run waits on the outside. */
  nextDueAt(): Date | null {
    return this.#store.nextDueAt(this.#clock.now())
  }

  /** Moves the clock to `at` (never back) and wakes every run due by then. */
  async moveTo(at: Date): Promise<void> {
    this.#clock.set(at)
    await this.#queue.release()
    for (const runId of this.#store.dueRuns(this.#clock.now())) await this.#queue.dispatch({ runId })
  }

  /**
   * Runs simulated time forward to `target`, firing what is due on the way in order: settle,
   * jump to the next due time, settle again…, then set the clock to `target`. Stops early (and
   * returns true) as soon as `done()` says so after a settle.
   */
  async runUntil(target: Date, done: () => Promise<boolean> = async () => false): Promise<boolean> {
    for (;;) {
      await this.settle()
      if (await done()) return true
      const next = this.nextDueAt()
      if (next === null || next.getTime() > target.getTime()) break
      await this.moveTo(next)
    }
    await this.moveTo(target)
    await this.settle()
    return done()
  }

  async #busy(): Promise<boolean> {
    if (this.#queue.busy) return true
    for (const owner of this.#store.leaseHolders(this.#clock.now())) if (this.#live(owner)) return true
    return false
  }
}
