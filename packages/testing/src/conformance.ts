/**
 * `@durable/testing/conformance`: the `RunStore` conformance suite. A separate entry point
 * because it imports vitest, which code that only uses `testDurable()` or `memoryStore()` need
 * not load.
 *
 * ```ts
 * import { testRunStore } from '@durable/testing/conformance'
 *
 * testRunStore('myStore', async () => ({ store: myStore() }))
 * ```
 *
 * @packageDocumentation
 */
export { testRunStore } from './run-store-suite/test-run-store.js'
export type { RunStoreTestOptions, RunStoreTestSetup } from './run-store-suite/test-run-store.js'
