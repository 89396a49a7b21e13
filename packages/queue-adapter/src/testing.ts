/**
 * `@durable/queue-adapter/testing`: the `QueueAdapter` conformance suite. A separate entry
 * point because it imports vitest, which production code must not load.
 *
 * ```ts
 * import { testQueueAdapter } from '@durable/queue-adapter/testing'
 *
 * testQueueAdapter('myQueue', async () => ({ adapter: myQueue() }))
 * ```
 *
 * @packageDocumentation
 */
export { testQueueAdapter } from './test-queue-adapter.js'
export type { QueueAdapterTestSetup, TestQueueAdapterOptions } from './test-queue-adapter.js'
