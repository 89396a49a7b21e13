import pg from 'pg'
import { toStoreError } from './store-errors.js'

/**
 * The key of the advisory lock that serializes durable's migrations: the bytes of "durable". One
 * key per database, not per schema: the queue engines keep their tables in schemas of their own
 * (`pgboss`, `graphile_worker`) that every durable schema of the database shares.
 */
const MIGRATION_LOCK_KEY = '28276631791627365'

/**
 * Runs `fn` while this process holds the session advisory lock of durable's migrations, taken
 * on a connection of its own (`newClient()`), so that processes migrating one database at once
 * — a fleet of workers starting together — migrate one after the other.
 *
 * Why a lock around everything, when Kysely's migrator already locks its own migrations: the
 * queue engines migrate too, and pg-boss 10 is not safe against itself. Two processes creating
 * a queue at once deadlock (each `create_queue` inserts its queue row, then adds a foreign key to
 * the same table, a lock the other's insert holds): measured, four processes starting together
 * on a fresh database failed with "deadlock detected" in 3 rounds of 10. Serialized, each
 * process after the first finds the work done and changes nothing.
 *
 * A connection of its own, not one of the pool's: the migrations need the pool's connections
 * meanwhile, and a pool of one would wait for itself. The lock goes with that connection, so a
 * process killed mid-migration never leaves the database locked.
 *
 * @internal
 */
export async function withMigrationLock<T>(newClient: () => pg.Client, fn: () => Promise<T>): Promise<T> {
  const client = newClient()
  // A connection that breaks while we wait emits 'error'; unhandled, it would crash the process.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    await client.end().catch(() => {})
    throw toStoreError(error, 'connect')
  }
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`).catch((error: unknown) => {
      throw toStoreError(error, 'query')
    })
    return await fn()
  } finally {
    // Ending the session releases the lock; no unlock statement to fail on a broken connection.
    await client.end().catch(() => {})
  }
}

/** A client connecting as the pool's clients do (same settings), outside the pool. @internal */
export function clientLike(pool: pg.Pool): () => pg.Client {
  const Client = poolClientClass(pool)
  return () => new Client(pool.options)
}

/** The client class a pool connects with (its `Client` option, else pg's). @internal */
export function poolClientClass(pool: pg.Pool): typeof pg.Client {
  return (pool as pg.Pool & { Client?: typeof pg.Client }).Client ?? pg.Client
}
