import { DurableError, type Duration, parseDuration } from '@durable/core'
import type { Clock } from '@durable/provider'

/**
 * A clock that stands still until it is moved: the time `testDurable()` gives the runtime. Only
 * the test kit moves it — to the next due time while nothing runs, or by `t.advance()` — so
 * what a run does at a given simulated instant does not depend on how fast the machine is.
 *
 * ### Example
 * ```ts
 * const clock = new SimulatedClock(new Date('2030-01-01T00:00:00Z'))
 * clock.advance('7d')
 * clock.now() // 2030-01-08T00:00:00.000Z
 * ```
 */
export class SimulatedClock implements Clock {
  #ms: number

  /** Starts at `start` (default: the real time now). */
  constructor(start: Date = new Date()) {
    if (!(start instanceof Date) || Number.isNaN(start.getTime())) throw new DurableError('INVALID_INPUT', 'SimulatedClock: start must be a valid Date')
    this.#ms = start.getTime()
  }

  /** The simulated time. */
  now(): Date {
    return new Date(this.#ms)
  }

  /** Moves the clock to `at`; never backwards (an earlier instant leaves it where it is). */
  set(at: Date): void {
    this.#ms = Math.max(this.#ms, at.getTime())
  }

  /** Moves the clock forward by `duration`. */
  advance(duration: Duration): void {
    this.#ms += parseDuration(duration, 'clock advance', 'INVALID_INPUT')
  }
}
