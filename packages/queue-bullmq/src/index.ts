/**
 * `@durable/queue-bullmq`: run durable workflows on [BullMQ](https://docs.bullmq.io) 5 and Redis.
 *
 * - Each wake-up is a BullMQ job `{ runId, runAt? }` in one queue (`durable-wake`), delayed with
 *   `delay`, tried once and removed when handled; the provider retries durably in PostgreSQL.
 * - Not `transactional`: Redis cannot join the store's transaction, so the provider dispatches
 *   after commit and its reconciler re-dispatches runs whose job was never added or was lost.
 * - Each `consume()` is a BullMQ `Worker` with `concurrency`.
 *
 * ```ts
 * import { bullmqQueue } from '@durable/queue-bullmq'
 *
 * const queue = bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 } })
 * const durable = createDurable({ store, queue, workflows })
 * await durable.migrate() // checks that Redis answers
 * ```
 *
 * @packageDocumentation
 */
export { BullMQQueue, bullmqQueue } from './bullmq-queue.js'
export type { BullMQQueueOptions, QueueLogger } from './bullmq-queue.js'
