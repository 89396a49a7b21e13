/**
 * A first-come, first-served lock: `lock()` resolves with a `release` function once every earlier
 * holder has released. Releasing twice is harmless.
 *
 * @internal
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve()

  /** Waits for the lock; call the returned function to give it back. */
  lock(): Promise<() => void> {
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const acquired = this.#tail.then(() => release)
    this.#tail = this.#tail.then(() => released)
    return acquired
  }
}
