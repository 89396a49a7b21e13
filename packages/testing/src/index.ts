/**
 * `@durable/testing`: test workflows, and durable's stores, without a database or real waiting.
 *
 * - {@link testDurable} — the whole `Durable` API in memory, with a simulated clock that skips
 *   time and a worker started for you: a `'7d'` sleep passes in milliseconds.
 * - {@link memoryStore} — a `RunStore` in memory, with store-postgres's semantics.
 * - `testRunStore()` — the conformance suite every `RunStore` passes. It lives in the
 *   `@durable/testing/conformance` entry point, so that importing this package never loads vitest.
 *
 * ```ts
 * import { testDurable } from '@durable/testing'
 *
 * const t = testDurable({ workflows: [approval] })
 * const id = await t.start(approval, { orderId: 'o1' })
 * await t.signal(id, 'approved', { by: 'ada' })
 * expect((await t.waitFor(id)).status).toBe('completed')
 * await t.close()
 * ```
 *
 * @packageDocumentation
 */
export { testDurable } from './test-durable.js'
export type { TestDurable, TestDurableOptions } from './test-durable.js'
export { MemoryStore, memoryStore } from './memory-store.js'
export { SimulatedClock } from './simulated-clock.js'
