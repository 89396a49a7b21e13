import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'
import { quoteIdentifier } from './identifiers.js'
import { Mutex } from './mutex.js'

/**
 * The part of a PGlite instance (`@electric-sql/pglite`) the store uses. A `new PGlite()` fits;
 * declaring it here keeps PGlite an optional dependency.
 */
export interface PGliteClient {
  /** Resolves once the database is ready. */
  readonly waitReady: Promise<void>
  query<T>(query: string, params?: unknown[], options?: { rowMode?: 'object' | 'array' }): Promise<{ rows: T[]; affectedRows?: number; command?: string }>
  /** Calls `callback` for every notification on any channel; returns the unsubscribe function. */
  onNotification(callback: (channel: string, payload: string) => void): () => void
}

/** Options of {@link PGliteDialect}. */
export interface PGliteDialectConfig {
  /** The PGlite instance. The dialect never closes it: it belongs to the caller. */
  readonly pglite: PGliteClient
}

/**
 * A Kysely dialect for PGlite, the in-process WebAssembly build of PostgreSQL.
 *
 * PGlite is ONE database session. A pool of one: a connection is lent to one user at a time —
 * a whole transaction, or one query — and every other caller queues until it is given back, so
 * two Kysely transactions never interleave their statements in the same session. The queue is
 * shared by every dialect over the same PGlite instance. Do not run queries on `store.db` inside
 * a transaction callback (use its `tx`): the transaction holds the only connection, so that
 * query would wait forever. Streaming (`.stream()`) is not supported.
 *
 * ### Example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite'
 * const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: new PGlite() }) })
 * ```
 */
export class PGliteDialect implements Dialect {
  readonly #pglite: PGliteClient

  constructor(config: PGliteDialectConfig) {
    this.#pglite = config.pglite
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter()
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#pglite, mutexOf(this.#pglite))
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db)
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler()
  }
}

// One queue per PGlite instance, whichever Kysely instances (store, queue, user) share it.
const mutexes = new WeakMap<PGliteClient, Mutex>()

function mutexOf(pglite: PGliteClient): Mutex {
  let mutex = mutexes.get(pglite)
  if (!mutex) {
    mutex = new Mutex()
    mutexes.set(pglite, mutex)
  }
  return mutex
}

class PGliteDriver implements Driver {
  readonly #pglite: PGliteClient
  readonly #mutex: Mutex

  constructor(pglite: PGliteClient, mutex: Mutex) {
    this.#pglite = pglite
    this.#mutex = mutex
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock()
    return new PGliteConnection(this.#pglite, release)
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let begin = 'begin'
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`
    if (settings.accessMode) begin += ` ${settings.accessMode}`
    await connection.executeQuery(CompiledQuery.raw(begin))
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'))
    // Postgres answers COMMIT with a ROLLBACK tag when an earlier statement failed and left
    // the transaction aborted (an error the caller swallowed): nothing was written.
    if (rows[0]?.command === 'ROLLBACK') throw new Error('transaction was rolled back instead of committed: a statement in it failed')
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`))
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteIdentifier(name)}`))
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteIdentifier(name)}`))
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    ;(connection as PGliteConnection).release()
  }

  /** Does nothing: the PGlite instance belongs to the caller, who closes it. */
  async destroy(): Promise<void> {}
}

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGliteClient
  readonly release: () => void

  constructor(pglite: PGliteClient, release: () => void) {
    this.#pglite = pglite
    this.release = release
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters], { rowMode: 'object' })
    const command = result.command?.toUpperCase()
    if (command === 'COMMIT' || command === 'ROLLBACK') return { rows: [{ command } as R] }
    return {
      rows: result.rows ?? [],
      ...(result.affectedRows !== undefined && isDataChange(command) ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported by the PGlite dialect: run the query without .stream()')
  }
}

function isDataChange(command: string | undefined): boolean {
  return command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE'
}
