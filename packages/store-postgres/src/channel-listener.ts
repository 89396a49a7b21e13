import { assertChannelName, quoteIdentifier } from './identifiers.js'

type Subscriber = { readonly onNotify: (payload: string) => void }

/**
 * LISTEN/NOTIFY subscriptions over one database session: many subscribers per channel, one
 * `LISTEN` per channel, `UNLISTEN` when its last subscriber leaves. Subclasses say how a command
 * reaches the session and feed notifications to `deliver`.
 *
 * Subscribing and unsubscribing run one at a time, in call order, so a `LISTEN` and an
 * `UNLISTEN` of the same channel can never reach the server swapped.
 *
 * @internal
 */
export abstract class ChannelListener {
  readonly #channels = new Map<string, Set<Subscriber>>()
  #queue: Promise<unknown> = Promise.resolve()
  #closed = false

  /** Runs `LISTEN "x"` or `UNLISTEN "x"` on the listening session. */
  protected abstract execute(command: string): Promise<void>

  /** Releases the listening session; `channels` are the ones it still listens to. */
  protected abstract shutdown(channels: readonly string[]): Promise<void>

  /** Channels with at least one subscriber (to LISTEN again after a reconnect). */
  protected channelNames(): string[] {
    return [...this.#channels.keys()]
  }

  /** Hands a notification to the channel's subscribers. */
  protected deliver(channel: string, payload: string): void {
    for (const subscriber of this.#channels.get(channel) ?? []) {
      try {
        subscriber.onNotify(payload)
      } catch (error) {
        // A notification is only a wake-up hint; a throwing subscriber must not break the
        // shared session or the other subscribers. Make it visible, nothing more.
        process.emitWarning(`durable: a LISTEN callback on channel "${channel}" threw: ${String(error)}`)
      }
    }
  }

  /** Subscribes `onNotify` to `channel`; resolves once the server listens. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannelName(channel)
    if (this.#closed) throw new Error('cannot listen: the store is closed')
    const subscriber: Subscriber = { onNotify }
    await this.#serially(async () => {
      if (!this.#channels.has(channel)) {
        await this.execute(`LISTEN ${quoteIdentifier(channel)}`)
        this.#channels.set(channel, new Set())
      }
      this.#channels.get(channel)?.add(subscriber)
    })
    let subscribed = true
    return async () => {
      if (!subscribed) return
      subscribed = false
      await this.#serially(async () => {
        const subscribers = this.#channels.get(channel)
        subscribers?.delete(subscriber)
        if (subscribers?.size !== 0) return
        this.#channels.delete(channel)
        if (!this.#closed) await this.execute(`UNLISTEN ${quoteIdentifier(channel)}`)
      })
    }
  }

  /** Drops every subscription and releases the session. Later unsubscribes do nothing. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#serially(async () => {
      const channels = this.channelNames()
      this.#channels.clear()
      await this.shutdown(channels)
    })
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task)
    this.#queue = run.catch(() => {})
    return run
  }
}
