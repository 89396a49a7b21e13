import { isDurableError } from '@durable/core'

interface Pending<T, R> {
  readonly item: T
  readonly resolve: (result: R) => void
  readonly reject: (error: unknown) => void
}

/**
 * Group commit, one level above Postgres's: calls that come while a batch is in flight gather,
 * and go together as the next batch when it returns. No timer: when nothing is in flight, a call
 * goes at once, so nothing waits at low load. A caller's promise settles only once its batch did.
 *
 * A batch that fails for another reason than an outage goes again one call at a time, so only
 * the call at fault fails.
 */
export class Batcher<T, R> {
  readonly #send: (items: readonly T[]) => Promise<readonly R[]>
  readonly #take: (gathered: readonly T[]) => number[]
  #gathering: Array<Pending<T, R>> = []
  #inFlight = false

  /**
   * `send` does one batch and returns a result per item, in order. `take` picks, by index, the
   * gathered items that may share the next batch; the others wait for a later one.
   */
  constructor(send: (items: readonly T[]) => Promise<readonly R[]>, take: (gathered: readonly T[]) => number[]) {
    this.#send = send
    this.#take = take
  }

  /** Sends `item` with the next batch; resolves to its result. */
  add(item: T): Promise<R> {
    const done = new Promise<R>((resolve, reject) => this.#gathering.push({ item, resolve, reject }))
    if (!this.#inFlight) void this.#drain()
    return done
  }

  async #drain(): Promise<void> {
    this.#inFlight = true
    try {
      while (this.#gathering.length > 0) {
        const taken = new Set(this.#take(this.#gathering.map((pending) => pending.item)))
        if (taken.size === 0) taken.add(0) // the oldest always goes: nothing waits forever
        const batch = this.#gathering.filter((_, i) => taken.has(i))
        this.#gathering = this.#gathering.filter((_, i) => !taken.has(i))
        await this.#sendBatch(batch)
      }
    } finally {
      this.#inFlight = false
    }
  }

  async #sendBatch(batch: ReadonlyArray<Pending<T, R>>): Promise<void> {
    try {
      const results = await this.#send(batch.map((pending) => pending.item))
      batch.forEach((pending, i) => pending.resolve(results[i]!))
    } catch (error) {
      if (batch.length > 1 && !isDurableError(error, 'STORE_UNAVAILABLE')) {
        for (const pending of batch) await this.#sendBatch([pending])
        return
      }
      for (const pending of batch) pending.reject(error)
    }
  }
}
