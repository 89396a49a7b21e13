import type { Pool, PoolClient } from 'pg'
import { ChannelListener } from './channel-listener.js'
import { quoteIdentifier } from './identifiers.js'

const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 5_000

/**
 * Listens on one dedicated connection taken from a `pg` Pool (it counts against the pool's size
 * while the store is open). When the connection breaks — database restart, network, an admin's
 * `pg_terminate_backend` — it reconnects with backoff and LISTENs to every channel again.
 * Notifications sent while it was disconnected are lost: callers poll as well.
 *
 * @internal
 */
export class PgListener extends ChannelListener {
  readonly #pool: Pool
  #client: PoolClient | undefined
  #connecting: Promise<PoolClient> | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #retryDelay = RECONNECT_MIN_MS
  #stopped = false

  constructor(pool: Pool) {
    super()
    this.#pool = pool
  }

  protected async execute(command: string): Promise<void> {
    const client = await this.#connect()
    await client.query(command)
  }

  protected async shutdown(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#retryTimer)
    await this.#connecting?.catch(() => {})
    const client = this.#client
    this.#client = undefined
    // Destroy rather than return it: a pooled connection must not keep our LISTENs.
    client?.release(true)
  }

  #connect(): Promise<PoolClient> {
    if (this.#client) return Promise.resolve(this.#client)
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #open(): Promise<PoolClient> {
    if (this.#stopped) throw new Error('cannot listen: the store is closed')
    const client = await this.#pool.connect()
    client.on('notification', (message) => this.deliver(message.channel, message.payload ?? ''))
    // A checked-out client that fails emits 'error' on itself; without a handler the process
    // would crash. 'end' covers a server that closes the socket without an error message.
    client.on('error', () => this.#lost(client))
    client.on('end', () => this.#lost(client))
    try {
      for (const channel of this.channelNames()) await client.query(`LISTEN ${quoteIdentifier(channel)}`)
    } catch (error) {
      client.release(true)
      throw error
    }
    if (this.#stopped) {
      client.release(true)
      throw new Error('cannot listen: the store is closed')
    }
    this.#client = client
    this.#retryDelay = RECONNECT_MIN_MS
    return client
  }

  #lost(client: PoolClient): void {
    if (this.#client !== client) return
    this.#client = undefined
    client.release(true)
    this.#reconnectLater()
  }

  #reconnectLater(): void {
    if (this.#stopped || this.channelNames().length === 0) return
    clearTimeout(this.#retryTimer)
    this.#retryTimer = setTimeout(() => {
      this.#connect().catch(() => {
        this.#retryDelay = Math.min(this.#retryDelay * 2, RECONNECT_MAX_MS)
        this.#reconnectLater()
      })
    }, this.#retryDelay)
    // Reconnecting must not keep a process alive that has nothing else to do.
    this.#retryTimer.unref()
  }
}
