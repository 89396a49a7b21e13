/**
 * `@durable/queue-pg-boss`: run durable workflows on [pg-boss](https://github.com/timgit/pg-boss)
 * 10 or 12, the Postgres job queue you may already operate.
 *
 * - Each wake-up is a pg-boss job `{ runId, runAt? }` in one queue (`durable-wake`), delayed with
 *   `startAfter`; pg-boss's own retries are off (`retryLimit: 0`): the provider retries durably.
 * - `transactional`: the job is inserted in the store's transaction through pg-boss's `db`
 *   executor option, so a run and its first job commit together (same database required).
 * - Consumers fetch with `boss.fetch` (pg-boss's `SKIP LOCKED` claim) into `concurrency` slots.
 *
 * ```ts
 * import { PgBoss } from 'pg-boss' // pg-boss 10: import PgBoss from 'pg-boss'
 * import { pgBossQueue } from '@durable/queue-pg-boss'
 *
 * const boss = new PgBoss(process.env.DATABASE_URL!)
 * const durable = createDurable({ store, queue: pgBossQueue(boss), workflows })
 * await durable.migrate() // starts the boss and creates its queue
 * ```
 *
 * @packageDocumentation
 */
export { PgBossQueue, pgBossQueue } from './pg-boss-queue.js'
export type { PgBossQueueOptions } from './pg-boss-queue.js'
export type { QueueLogger } from './pg-boss-consumer.js'
export type { PgBossExecutor, PgBossInstance, PgBossJob, PgBossSendOptions } from './pg-boss-instance.js'
