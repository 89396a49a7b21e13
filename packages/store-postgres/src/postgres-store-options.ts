import type { Kysely } from 'kysely'
import type { Pool } from 'pg'
import type { PGliteClient } from './pglite-dialect.js'

/** Options every connection kind takes. */
export interface PostgresStoreCommonOptions {
  /**
   * The PostgreSQL schema of the store's tables; created by `migrate()`. Default `'durable'`.
   * A letter or `_`, then up to 62 letters, digits or `_`.
   */
  readonly schema?: string
}

/** Connect with a connection string: the store creates, owns and closes a `pg` Pool. */
export interface PostgresStoreConnectionStringOptions extends PostgresStoreCommonOptions {
  /** `process.env.DATABASE_URL` may be passed as it is: when it is unset, the store says so. */
  readonly connectionString: string | undefined
  /** Size of the store's pool (`max`), default 10. Listening holds one of its connections. */
  readonly poolSize?: number
  readonly pool?: never
  readonly db?: never
  readonly pglite?: never
}

/**
 * Use your `pg` Pool. The store never ends it; `listen` takes one connection from it. The store
 * adds an 'error' listener to each client the pool connects, so that a connection breaking while
 * checked out (a database restart) fails its next query instead of crashing the process.
 */
export interface PostgresStorePoolOptions extends PostgresStoreCommonOptions {
  readonly pool: Pool
  readonly connectionString?: never
  readonly poolSize?: never
  readonly db?: never
  readonly pglite?: never
}

/**
 * Use your Kysely instance over any PostgreSQL dialect. The store never destroys it. It cannot
 * `listen` (Kysely has no LISTEN): a queue that needs wake-ups then falls back to polling.
 */
export interface PostgresStoreKyselyOptions extends PostgresStoreCommonOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>
  readonly connectionString?: never
  readonly poolSize?: never
  readonly pool?: never
  readonly pglite?: never
}

/**
 * Use a PGlite instance (`new PGlite()` or `new PGlite('./data')`). The store never closes it.
 * PGlite is one session: all queries queue through it, one transaction at a time.
 */
export interface PostgresStorePGliteOptions extends PostgresStoreCommonOptions {
  readonly pglite: PGliteClient
  readonly connectionString?: never
  readonly poolSize?: never
  readonly pool?: never
  readonly db?: never
}

/** Options of {@link postgresStore}: exactly one of `connectionString`, `pool`, `db` or `pglite`. */
export type PostgresStoreOptions = PostgresStoreConnectionStringOptions | PostgresStorePoolOptions | PostgresStoreKyselyOptions | PostgresStorePGliteOptions
