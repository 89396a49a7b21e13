import { performance } from 'node:perf_hooks'

/** Where the runtime reads the time. Tests inject one to skip time; core never reads it. */
export interface Clock {
  now(): Date
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() }

/** A sample older than this is refreshed in the background by the next `sync()`. */
const REFRESH_MS = 2_000
/** Samples are compared over this window; older ones are forgotten. */
const WINDOW_MS = 30_000

/**
 * The database's clock, as this process reads it without a round trip: samples of the database's
 * time, carried forward by this process's monotonic clock (`performance.now()`, which no change
 * of the system's time moves). So leases, due times, sleeps and timeouts are measured on one
 * clock by every worker, whatever their own clocks say.
 *
 * A sample is the database's time `D` read between the local instants `sent` and `received`.
 * `D` was read before `received`, so `D - received` is a LOWER bound of (database time − local
 * time), short of the truth by at most the round trip. The clock takes the highest lower bound of
 * the samples of the last 30 s: the tightest of them, never ahead of the database (up to its
 * clock's resolution) — so no timer fires early and no live lease looks expired, and a slow
 * round trip (a busy pool) only makes it late by that much until a better sample comes. (The
 * round trip's midpoint would be closer on average, but ahead half the time.) Monotonic and
 * database clocks drift apart by parts per million: the window makes that negligible.
 *
 * `sync()` is the only place that waits: for the first sample only. Later, a `sync()` after
 * 2 s starts a new sample in the background — a worker calls it at each claim and each
 * reconciler scan, so the hot path gets no extra round trip. Should sampling fail (an outage),
 * the last samples carry on.
 *
 * @internal
 */
export class DatabaseClock implements Clock {
  readonly #read: () => Promise<Date>
  #samples: Array<{ readonly at: number; readonly offset: number }> = []
  /** Database time − `performance.now()`, in ms: the highest lower bound of the samples. */
  #offset: number | undefined
  #sampling: Promise<void> | undefined

  constructor(read: () => Promise<Date>) {
    this.#read = read
  }

  /** The database's time now; before the first sample (see `sync`), this process's time. */
  now(): Date {
    return this.#offset === undefined ? new Date() : new Date(performance.now() + this.#offset)
  }

  /** Resolves once `now()` follows the database: at once after the first sample. */
  async sync(): Promise<void> {
    if (this.#offset === undefined) return this.#sample()
    const last = this.#samples.at(-1)
    if (last === undefined || performance.now() - last.at >= REFRESH_MS) void this.#sample().catch(() => {})
  }

  /** Takes one sample; concurrent callers share it. */
  #sample(): Promise<void> {
    this.#sampling ??= (async () => {
      try {
        const database = (await this.#read()).getTime()
        const received = performance.now()
        this.#samples = [...this.#samples.filter((s) => received - s.at < WINDOW_MS), { at: received, offset: database - received }]
        this.#offset = Math.max(...this.#samples.map((s) => s.offset))
      } finally {
        this.#sampling = undefined
      }
    })()
    return this.#sampling
  }
}
