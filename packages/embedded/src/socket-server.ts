import { chmodSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join, resolve } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { sql, type Kysely } from 'kysely'

/** The port in the socket's name: `pg` and `psql` look for `<host>/.s.PGSQL.<port>`. */
export const SOCKET_PORT = 5432

/** Where the process that holds `dataDir` serves its database. */
export function socketPath(dataDir: string): string {
  return join(resolve(dataDir), `.s.PGSQL.${SOCKET_PORT}`)
}

// Codes of the untyped messages a client may send before its startup message.
const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
const PROTOCOL_3 = 196608
const SYNC = Buffer.from([0x53, 0, 0, 0, 4])
// The typed messages a client may send once started. PGlite is Postgres in single-user mode: a
// FATAL error, such as an unknown message type, ends it (`exit(1)`) for the app as well, so
// anything else is refused here and never reaches it.
const CLIENT_MESSAGES = new Set('BCDEFHPQSdcf')

/** The session, lent by the store's Kysely instance: while lent, the app's queries wait. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Lent = { readonly session: Kysely<any>; readonly giveBack: () => void }

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function borrow(db: Kysely<any>): Promise<Lent> {
  return new Promise((resolveLent, reject) => {
    db.connection()
      .execute((session) => new Promise<void>((giveBack) => resolveLent({ session, giveBack })))
      .catch(reject)
  })
}

/** Options of {@link SocketServer.start}. */
export interface SocketServerOptions {
  readonly pglite: PGlite
  /** The store's Kysely instance over `pglite`: its connection is the one PGlite session. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>
  readonly path: string
  /** A client idle inside a transaction this long is disconnected, so the app does not wait longer. */
  readonly idleInTransactionMs: number
}

/**
 * Serves a PGlite database to other processes (the `durable` CLI, its dashboard, `psql`) on a
 * Unix socket, speaking the PostgreSQL wire protocol.
 *
 * PGlite is ONE session, which the app uses too. So every client shares it, one unit at a time:
 * a client is lent the session (the same lock the store's PGlite dialect takes for each of the
 * app's queries and transactions) from its first message until it is back outside a transaction
 * after a Sync or a simple query. Neither side's statements ever land inside the other's
 * transaction. Client state that outlives a unit lives in the shared session: named prepared
 * statements and session advisory locks are cleared when the last client leaves.
 *
 * @internal
 */
export class SocketServer {
  readonly #options: SocketServerOptions
  readonly #server: Server
  readonly #clients = new Set<SocketClient>()

  private constructor(options: SocketServerOptions, server: Server) {
    this.#options = options
    this.#server = server
  }

  /** Listens on `options.path`, replacing whatever file is there: the caller holds the data dir's lock. */
  static async start(options: SocketServerOptions): Promise<SocketServer> {
    rmSync(options.path, { force: true })
    const server = createServer()
    const socketServer = new SocketServer(options, server)
    server.on('connection', (socket) => socketServer.#accept(socket))
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen(options.path, () => {
        server.off('error', reject)
        resolveListen()
      })
    })
    server.on('error', () => {})
    // No password: whoever can open the socket reads and writes the runs. Only our user may.
    chmodSync(options.path, 0o600)
    return socketServer
  }

  #accept(socket: Socket): void {
    const client = new SocketClient(socket, this.#options, () => {
      this.#clients.delete(client)
      return this.#clients.size === 0 ? this.#resetSession() : Promise.resolve()
    })
    this.#clients.add(client)
  }

  /** Drops what clients left in the shared session, once none is connected. The app uses neither. */
  async #resetSession(): Promise<void> {
    const { session, giveBack } = await borrow(this.#options.db)
    try {
      await sql`deallocate all`.execute(session)
      await sql`select pg_advisory_unlock_all()`.execute(session)
    } finally {
      giveBack()
    }
  }

  /** Stops listening, disconnects every client (rolling back what it left open), removes the socket. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolveClose) => this.#server.close(() => resolveClose()))
    await Promise.all([...this.#clients].map((client) => client.disconnect()))
    await closed
    rmSync(this.#options.path, { force: true })
  }
}

/** One connection: reassembles its messages and runs them on the session, in order. */
class SocketClient {
  readonly #socket: Socket
  readonly #options: SocketServerOptions
  #buffer: Buffer = Buffer.alloc(0)
  #started = false
  #lent: Lent | undefined
  #idleTimer: NodeJS.Timeout | undefined
  // Every piece of work of this client, chained: its messages run one after the other.
  #work: Promise<void> = Promise.resolve()
  readonly #ended: Promise<void>

  constructor(socket: Socket, options: SocketServerOptions, onEnd: () => Promise<void>) {
    this.#socket = socket
    this.#options = options
    socket.on('data', (data) => {
      clearTimeout(this.#idleTimer)
      this.#buffer = Buffer.concat([this.#buffer, data])
      this.#enqueue(() => this.#drain())
    })
    socket.on('error', () => {})
    this.#ended = new Promise((resolveEnd) => {
      socket.once('close', () => {
        clearTimeout(this.#idleTimer)
        this.#enqueue(async () => {
          await this.#giveBack(true)
          await onEnd().catch(() => {})
        })
        void this.#work.then(resolveEnd)
      })
    })
  }

  disconnect(): Promise<void> {
    this.#socket.destroy()
    return this.#ended
  }

  #enqueue(task: () => Promise<void>): void {
    this.#work = this.#work.then(task).catch(() => {
      // The session is in an unknown state for this client: drop it (its cleanup follows).
      this.#socket.destroy()
    })
  }

  async #drain(): Promise<void> {
    for (;;) {
      const message = this.#nextMessage()
      if (message === undefined) break
      // Hung up, or refused (answered and ended): nothing more of it runs.
      if (!this.#socket.writable) return
      await this.#handle(message)
    }
    if (this.#lent !== undefined) {
      // Holding the session between messages (inside a transaction): not for long.
      this.#idleTimer = setTimeout(() => this.#socket.destroy(), this.#options.idleInTransactionMs)
    }
  }

  /** The next complete message in the buffer: untyped (length first) until startup, then typed. */
  #nextMessage(): Buffer | undefined {
    const offset = this.#started ? 1 : 0
    if (this.#buffer.length < offset + 4) return undefined
    const declared = this.#buffer.readInt32BE(offset)
    // A length that does not even cover itself: not a PostgreSQL client. Hang up.
    if (declared < 4) return void this.#socket.destroy()
    const length = offset + declared
    if (this.#buffer.length < length) return undefined
    const message = this.#buffer.subarray(0, length)
    this.#buffer = this.#buffer.subarray(length)
    return message
  }

  async #handle(message: Buffer): Promise<void> {
    if (!this.#started) {
      const code = message.length >= 8 ? message.readInt32BE(4) : 0
      // No TLS on a local socket: 'N' tells the client to go on in plain text.
      if (code === SSL_REQUEST || code === GSS_REQUEST) return void this.#socket.write('N')
      // PGlite runs no query we could cancel from a second connection.
      if (code === CANCEL_REQUEST) return void this.#socket.end()
      const startup = code === PROTOCOL_3 ? canonicalStartup(message) : undefined
      if (startup === undefined) return this.#refuse('unsupported startup message: speak protocol 3.0')
      await this.#run(startup)
      this.#started = true
      await this.#giveBack(false)
      return
    }
    const type = String.fromCharCode(message[0] ?? 0)
    if (type === 'X') return void this.#socket.end()
    if (!CLIENT_MESSAGES.has(type)) return this.#refuse(`message type "${type}" is not served on this socket`)
    await this.#run(message)
    // A unit ends at a Sync or a simple query that leaves the session outside a transaction.
    if ((type === 'S' || type === 'Q') && !this.#options.pglite.isInTransaction()) await this.#giveBack(false)
  }

  /** Answers with a FATAL ErrorResponse and hangs up, as a server does on a protocol violation. */
  #refuse(text: string): void {
    this.#socket.end(errorResponse(text))
  }

  async #run(message: Buffer): Promise<void> {
    this.#lent ??= await borrow(this.#options.db)
    const { pglite } = this.#options
    // PGlite reuses its output buffer: copy before the next message overwrites it. It also hands
    // the notifications in it to the app's listeners, so a client's commit wakes the app's workers.
    const output = Buffer.from(await pglite.runExclusive(() => pglite.execProtocolRaw(new Uint8Array(message))))
    if (output.length > 0 && !this.#socket.destroyed) this.#socket.write(output)
  }

  /**
   * Gives the session back to the app. On a disconnect, first ends what the client left open: a
   * half-sent extended query (Sync) and a transaction (rollback).
   */
  async #giveBack(disconnected: boolean): Promise<void> {
    const lent = this.#lent
    if (lent === undefined) return
    this.#lent = undefined
    try {
      if (disconnected) {
        const { pglite } = this.#options
        await pglite.runExclusive(() => pglite.execProtocolRaw(new Uint8Array(SYNC)))
        if (pglite.isInTransaction()) await sql`rollback`.execute(lent.session)
      }
    } finally {
      lent.giveBack()
    }
  }
}

/**
 * The client's startup message with only `user` and `database` (defaulting to `postgres`). PGlite
 * has one user and one database and ignores both; but a startup it cannot accept — no user, a
 * bad `options` — is FATAL, which would end PGlite for the app (see CLIENT_MESSAGES).
 */
function canonicalStartup(message: Buffer): Buffer | undefined {
  // Pairs of NUL-terminated strings, then one more NUL.
  const text = message.toString('utf8', 8, message.length - 1)
  const fields = text === '' ? [] : text.slice(0, -1).split('\0')
  if (message[message.length - 1] !== 0 || (text !== '' && !text.endsWith('\0')) || fields.length % 2 !== 0) return undefined
  const params = new Map<string, string>()
  for (let i = 0; i < fields.length; i += 2) params.set(fields[i] ?? '', fields[i + 1] ?? '')
  const user = params.get('user') || 'postgres'
  const database = params.get('database') || 'postgres'
  const body = Buffer.from(`user\0${user}\0database\0${database}\0\0`)
  const startup = Buffer.alloc(8 + body.length)
  startup.writeInt32BE(startup.length, 0)
  startup.writeInt32BE(PROTOCOL_3, 4)
  body.copy(startup, 8)
  return startup
}

function errorResponse(text: string): Buffer {
  const body = Buffer.from(`SFATAL\0VFATAL\0C08P01\0M${text}\0\0`)
  const message = Buffer.alloc(5 + body.length)
  message.write('E', 0)
  message.writeInt32BE(4 + body.length, 1)
  body.copy(message, 5)
  return message
}
