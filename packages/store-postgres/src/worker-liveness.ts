import { DurableError, type WorkerLiveness } from '@durable/core'
import pg from 'pg'
import { Mutex } from './mutex.js'
import { LIVENESS_SEED } from './queries/dead-lease-holder.js'

/** How often the connection is checked (and a lost one opened again, and its locks taken again). */
const HEARTBEAT_MS = 1000
/** A check unanswered this long means the connection is lost (a network cut sends no error). */
const HEARTBEAT_TIMEOUT_MS = 3000

/**
 * The server's side of a vanished client. A killed process's socket is closed by its kernel and
 * the server sees it at once; a machine that vanishes (power, network) sends nothing, and the
 * server's TCP keepalive defaults wait two hours. On this connection only: probe after 1 s of
 * silence, every 1 s, give up after 2 unanswered probes — the session ends and its locks go
 * about 3 s after the machine did — and drop data unacknowledged for 3 s. The worker's own
 * heartbeat keeps the connection from ever being silent that long while it lives, and probes
 * are answered by the kernel, so a worker frozen by a long pause keeps its liveness (its leases
 * still expire).
 */
const SERVER_KEEPALIVE = `SELECT set_config('tcp_keepalives_idle', '1', false), set_config('tcp_keepalives_interval', '1', false),
  set_config('tcp_keepalives_count', '2', false), set_config('tcp_user_timeout', '3000', false)`

const TRY_LOCK = `SELECT pg_try_advisory_lock(hashtextextended($1::text, ${LIVENESS_SEED})) AS locked`
const UNLOCK = `SELECT pg_advisory_unlock(hashtextextended($1::text, ${LIVENESS_SEED}))`

/**
 * The liveness of the workers of one store, shown to the other workers by session-level advisory
 * locks, one per worker, held on a connection of its own — not one of the pool's: a pooled
 * connection is shared by queries and may be closed when idle, which would end the session and
 * free the locks. When this process dies, PostgreSQL ends the session and frees the locks, and
 * the claims of other workers see it (`leaseHolderDead`).
 *
 * The connection is checked every second. When it is lost — a restart, a cut, an admin's
 * `pg_terminate_backend` — its workers are not alive (`alive` is false, the locks are gone with
 * the session) until it is opened again and their locks taken again, on the next checks. A lock
 * that another session still holds (our previous session, not yet ended by the server) is tried
 * again at each check.
 *
 * Needs a session of its own: not through a pooler in transaction mode (PgBouncer's default).
 *
 * @internal
 */
export class LivenessConnection {
  readonly #config: pg.ClientConfig
  /** The workers held here, and whether each one's lock is held now. */
  readonly #owners = new Map<string, { alive: boolean }>()
  /** Queries on the connection go one at a time, so a lock is never taken twice. */
  readonly #mutex = new Mutex()
  #client: pg.Client | undefined
  #timer: NodeJS.Timeout | undefined
  /** A check is under way: the next one is skipped (a connect may take longer than a second). */
  #checking = false
  #closed = false

  readonly #Client: typeof pg.Client

  /** `Client`: the class the store's pool connects with, so this connection goes where the pool's go. */
  constructor(config: pg.ClientConfig, Client: typeof pg.Client = pg.Client) {
    this.#config = config
    this.#Client = Client
  }

  /**
   * Takes `owner`'s lock, and keeps it until `release()`. Resolves after the first try, held or
   * not (the database may be down: a worker starts anyway, as it survives outages); `alive` says
   * whether it holds, and the checks keep trying.
   */
  async hold(owner: string): Promise<WorkerLiveness> {
    if (this.#closed) throw new DurableError('INVALID_INPUT', 'cannot hold a worker’s liveness: the store is closed')
    if (this.#owners.has(owner)) throw new DurableError('INVALID_INPUT', `worker "${owner}" already holds its liveness`)
    const state = { alive: false }
    this.#owners.set(owner, state)
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.#check(), HEARTBEAT_MS)
      // Checking must not keep alive a process that has nothing else to do.
      this.#timer.unref()
    }
    await this.#exclusive((client) => this.#lock(client, owner, state)).catch(() => {
      // Unreachable for now: the checks try again every second.
    })
    return {
      get alive() {
        return state.alive
      },
      release: () => this.#release(owner),
    }
  }

  /** Ends every worker's liveness and the connection. Idempotent. */
  close(): void {
    this.#closed = true
    this.#owners.clear()
    this.#disconnect()
  }

  async #release(owner: string): Promise<void> {
    const state = this.#owners.get(owner)
    if (state === undefined) return
    this.#owners.delete(owner)
    if (this.#owners.size === 0) return this.#disconnect()
    if (!state.alive) return
    state.alive = false
    // Failing, the connection is lost, and the lock with it.
    await this.#exclusive((client) => client.query(UNLOCK, [owner])).catch(() => {})
  }

  /** Checks the connection; opens it again and takes the missing locks when it was lost. */
  async #check(): Promise<void> {
    if (this.#owners.size === 0 || this.#checking) return
    this.#checking = true
    try {
      await this.#exclusive(async (client) => {
        const missing = [...this.#owners].filter(([, state]) => !state.alive)
        for (const [owner, state] of missing) await this.#lock(client, owner, state)
        if (missing.length === 0) await client.query('SELECT 1')
      })
    } catch {
      // Lost (or not back yet): #exclusive dropped the connection; the next check opens it again.
    } finally {
      this.#checking = false
    }
  }

  async #lock(client: pg.Client, owner: string, state: { alive: boolean }): Promise<void> {
    const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK, [owner])
    const locked = rows[0]?.locked === true
    if (this.#owners.get(owner) === state) state.alive = locked
    // Released while we asked: give the lock back at once.
    else if (locked) await client.query(UNLOCK, [owner])
  }

  /** Runs `fn` on the connection (opened if needed), alone; any failure drops the connection. */
  async #exclusive<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const unlock = await this.#mutex.lock()
    let client: pg.Client | undefined
    try {
      client = this.#client ?? (await this.#open())
      return await fn(client)
    } catch (error) {
      if (client !== undefined) this.#lost(client)
      throw error
    } finally {
      unlock()
    }
  }

  async #open(): Promise<pg.Client> {
    if (this.#closed || this.#owners.size === 0) throw new DurableError('STORE_UNAVAILABLE', 'the liveness connection is closed')
    const client = new this.#Client({
      ...this.#config,
      // The client's side: a server that vanished is noticed by the heartbeat's timeout.
      keepAlive: true,
      keepAliveInitialDelayMillis: HEARTBEAT_MS,
      query_timeout: HEARTBEAT_TIMEOUT_MS,
      connectionTimeoutMillis: HEARTBEAT_TIMEOUT_MS,
    })
    // Without listeners, a broken connection's 'error' would crash the process.
    client.on('error', () => this.#lost(client))
    client.on('end', () => this.#lost(client))
    try {
      await client.connect()
      // Older servers lack tcp_user_timeout; the keepalives alone still work there.
      await client
        .query(SERVER_KEEPALIVE)
        .catch(() =>
          client.query(`SELECT set_config('tcp_keepalives_idle', '1', false), set_config('tcp_keepalives_interval', '1', false), set_config('tcp_keepalives_count', '2', false)`),
        )
    } catch (error) {
      void client.end().catch(() => {})
      throw error
    }
    if (this.#closed || this.#owners.size === 0) {
      void client.end().catch(() => {})
      throw new DurableError('STORE_UNAVAILABLE', 'the liveness connection is closed')
    }
    this.#client = client
    return client
  }

  /** The connection broke: every lock went with its session. */
  #lost(client: pg.Client): void {
    if (this.#client !== client) return
    this.#client = undefined
    for (const state of this.#owners.values()) state.alive = false
    void client.end().catch(() => {})
  }

  #disconnect(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    const client = this.#client
    this.#client = undefined
    // Ending the session frees its locks.
    void client?.end().catch(() => {})
  }
}
