/**
 * `@durable/queue-postgres`: the default durable queue — a `jobs` table in the same PostgreSQL
 * database (and schema) as `@durable/store-postgres`.
 *
 * - Dispatch joins the store's transaction, so a run and its job commit (or vanish) together.
 * - One row per run: re-dispatching a run keeps its earliest `run_at`.
 * - Consumers claim due jobs with `DELETE … FOR UPDATE SKIP LOCKED`, hold no transaction while
 *   handlers run, and wake on `LISTEN/NOTIFY`, polling every `pollIntervalMs` as the fallback.
 * - Works on a `pg` Pool and on PGlite.
 *
 * ```ts
 * import { postgresStore } from '@durable/store-postgres'
 * import { postgresQueue } from '@durable/queue-postgres'
 *
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * const durable = createDurable({ store, queue: postgresQueue({ store }), workflows })
 * ```
 *
 * @packageDocumentation
 */
export { PostgresQueue, postgresQueue } from './postgres-queue.js'
export type { PostgresQueueOptions } from './postgres-queue.js'
export type { QueueLogger } from './job-consumer.js'
