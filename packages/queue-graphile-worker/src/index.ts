/**
 * `@durable/queue-graphile-worker`: run durable workflows on
 * [Graphile Worker](https://worker.graphile.org) 0.17, the Postgres job queue.
 *
 * - Each wake-up is a Graphile Worker job of one task (`durable_wake`), added with
 *   `graphile_worker.add_job(…, run_at, max_attempts => 1)`; the provider retries durably.
 * - `transactional`: `add_job` runs in the store's transaction, so a run and its first job commit
 *   together (the store and Graphile Worker must share a database).
 * - Each `consume()` is a Graphile Worker runner with `concurrency` slots, woken by its
 *   LISTEN/NOTIFY and polling `pollIntervalMs` for jobs that fall due later.
 *
 * ```ts
 * import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
 *
 * const queue = graphileWorkerQueue({ connectionString: process.env.DATABASE_URL })
 * const durable = createDurable({ store, queue, workflows })
 * await durable.migrate() // runs Graphile Worker's migrations too
 * ```
 *
 * @packageDocumentation
 */
export { GraphileWorkerQueue, graphileWorkerQueue } from './graphile-worker-queue.js'
export type { GraphileWorkerQueueOptions } from './graphile-worker-queue.js'
export type { QueueLogger } from './queue-logger.js'
