import type { CompiledQuery, DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler, QueryResult, TransactionSettings } from 'kysely'
import { toNotMigratedError, toStoreError } from './store-errors.js'

/**
 * Wraps a Kysely dialect so that every error its driver raises goes through `toStoreError`: a
 * refused or broken connection becomes `STORE_UNAVAILABLE`, a value PostgreSQL cannot store
 * becomes `INVALID_INPUT`, anything else passes unchanged. One place covers every query of the
 * store, of the queue (it shares the store's `db`) and of `transactional` steps (`ctx.tx`).
 *
 * A query on a table of `schema` (the store's and the default queue's) that fails because a
 * schema, table or column is missing becomes `NOT_MIGRATED`. Looking at the query's text costs
 * nothing on the hot path: it happens only once a query has failed.
 *
 * @internal
 */
export class ErrorTranslatingDialect implements Dialect {
  readonly #inner: Dialect
  readonly #schema: string

  constructor(inner: Dialect, options: { schema: string }) {
    this.#inner = inner
    this.#schema = options.schema
  }

  createDriver(): Driver {
    return new ErrorTranslatingDriver(this.#inner.createDriver(), this.#schema)
  }

  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler()
  }

  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter()
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db)
  }
}

/** Connections handed out wrap the inner driver's; the inner driver always gets its own back. */
class ErrorTranslatingDriver implements Driver {
  readonly #inner: Driver
  readonly #schema: string

  constructor(inner: Driver, schema: string) {
    this.#inner = inner
    this.#schema = schema
  }

  init(): Promise<void> {
    return translated(this.#inner.init(), 'connect')
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ErrorTranslatingConnection(await translated(this.#inner.acquireConnection(), 'connect'), this.#schema)
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return translated(this.#inner.beginTransaction(unwrap(connection), settings), 'query')
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(this.#inner.commitTransaction(unwrap(connection)), 'query')
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return translated(this.#inner.rollbackTransaction(unwrap(connection)), 'query')
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await translated(this.#inner.savepoint!(unwrap(connection), name, compile), 'query')
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await translated(this.#inner.rollbackToSavepoint!(unwrap(connection), name, compile), 'query')
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await translated(this.#inner.releaseSavepoint!(unwrap(connection), name, compile), 'query')
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(unwrap(connection))
  }

  destroy(): Promise<void> {
    return this.#inner.destroy()
  }
}

class ErrorTranslatingConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection
  /** How the store's tables appear in compiled SQL: `"durable".` (Kysely quotes every identifier). */
  readonly #qualifier: string
  readonly #schema: string

  constructor(inner: DatabaseConnection, schema: string) {
    this.inner = inner
    this.#schema = schema
    this.#qualifier = `"${schema.replaceAll('"', '""')}".`
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query)
    } catch (error) {
      throw this.#translate(error, query)
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize)
    } catch (error) {
      throw this.#translate(error, query)
    }
  }

  #translate(error: unknown, query: CompiledQuery): unknown {
    const translated = toStoreError(error, 'query')
    return query.sql.includes(this.#qualifier) ? toNotMigratedError(translated, this.#schema) : translated
  }
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof ErrorTranslatingConnection ? connection.inner : connection
}

async function translated<T>(promise: Promise<T>, during: 'connect' | 'query'): Promise<T> {
  try {
    return await promise
  } catch (error) {
    throw toStoreError(error, during)
  }
}
