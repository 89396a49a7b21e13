/**
 * Row locks of the memory store, as PostgreSQL's `FOR UPDATE`: a transaction that writes a row
 * holds its lock until it commits or rolls back, and any other writer of that row waits in turn.
 * Readers never wait (they read the committed rows, as under MVCC).
 *
 * Locks are named by strings (`run:<id>`, `signal:<id>`, `key:<workflow>/<idempotency key>`) and
 * held by an object (the transaction). A holder may take a lock it holds again.
 *
 * @internal
 */
export class RowLocks {
  readonly #held = new Map<string, { holder: object; waiting: Array<() => void> }>()

  /**
   * Takes every lock of `names` for `holder`, waiting while another holder has one. Names are
   * taken in sorted order, so two holders that want the same rows never wait for each other.
   */
  async acquire(holder: object, names: readonly string[]): Promise<void> {
    for (const name of [...new Set(names)].sort()) {
      for (;;) {
        const lock = this.#held.get(name)
        if (lock === undefined) {
          this.#held.set(name, { holder, waiting: [] })
          break
        }
        if (lock.holder === holder) break
        await new Promise<void>((resolve) => lock.waiting.push(resolve))
      }
    }
  }

  /** True while some holder has the lock `name`. */
  isHeld(name: string): boolean {
    return this.#held.has(name)
  }

  /** Gives back every lock `holder` has; the first waiter of each then goes on. */
  releaseAll(holder: object): void {
    for (const [name, lock] of this.#held) {
      if (lock.holder !== holder) continue
      this.#held.delete(name)
      // Wake them all: the first to run takes the lock, the others find it taken and wait again.
      for (const wake of lock.waiting) wake()
    }
  }
}
