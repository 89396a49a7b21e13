import { sql, type Kysely } from 'kysely'
import { ChannelListener } from './channel-listener.js'
import { quoteIdentifier } from './identifiers.js'
import type { PGliteClient } from './pglite-dialect.js'

/**
 * Listens on a PGlite instance. `LISTEN`/`UNLISTEN` go through the store's Kysely instance, so
 * they queue behind open transactions instead of slipping into one (PGlite is one session);
 * notifications arrive through `pglite.onNotification`. PGlite's own `listen()` is not used: it
 * sends `UNLISTEN` unquoted, which lower-cases the channel name.
 *
 * @internal
 */
export class PGliteListener extends ChannelListener {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly #db: Kysely<any>
  readonly #stopDelivery: () => void

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(pglite: PGliteClient, db: Kysely<any>) {
    super()
    this.#db = db
    this.#stopDelivery = pglite.onNotification((channel, payload) => this.deliver(channel, payload))
  }

  protected async execute(command: string): Promise<void> {
    await sql.raw(command).execute(this.#db)
  }

  protected async shutdown(channels: readonly string[]): Promise<void> {
    this.#stopDelivery()
    // The PGlite instance outlives the store: stop listening to what we listened to.
    for (const channel of channels) await this.execute(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => {})
  }
}
