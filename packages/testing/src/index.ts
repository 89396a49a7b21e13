/**
 * `@durable/testing`: test durable workflows, and durable's stores, without a database.
 *
 * - {@link memoryStore} — a `RunStore` in memory, with store-postgres's semantics.
 * - `testRunStore()` — the conformance suite every `RunStore` passes. It lives in the
 *   `@durable/testing/conformance` entry point, so that importing this package never loads vitest.
 *
 * @packageDocumentation
 */
export { MemoryStore, memoryStore } from './memory-store.js'
