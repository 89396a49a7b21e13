/**
 * `@durable/queue-adapter`: the seam between durable and the queue that wakes runs.
 *
 * - {@link QueueAdapter} — the interface every queue backend implements (four members and an
 *   optional `migrate`). A job only says "wake run X, not before T"; all truth is in the store,
 *   so duplicate or lost jobs never break a run.
 * - {@link memoryQueue} — an in-process adapter for tests, scripts and single-process apps.
 * - `testQueueAdapter()` — the conformance suite every adapter runs in its own tests. It lives
 *   in the `@durable/queue-adapter/testing` entry point, so that importing this package never
 *   loads vitest in production.
 *
 * ```ts
 * import { memoryQueue } from '@durable/queue-adapter'
 *
 * const durable = createDurable({ store, queue: memoryQueue(), workflows: [checkout] })
 * ```
 *
 * @packageDocumentation
 */
export type { ClaimedRun, ConsumeOptions, DurableJob, QueueAdapter, RunClaimer } from './queue-adapter.js'
export { MemoryQueue, memoryQueue } from './memory-queue.js'
