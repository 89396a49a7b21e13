import type { RunStore } from '@durable/core'
import { afterEach, beforeEach, describe } from 'vitest'
import type { SuiteContext } from './fixtures.js'
import { flowCases } from './flow-cases.js'
import { journalCases } from './journal-cases.js'
import { leaseCases } from './lease-cases.js'
import { runCases } from './run-cases.js'
import { scheduleCases } from './schedule-cases.js'
import { signalCases } from './signal-cases.js'
import { transactionCases } from './transaction-cases.js'

/** Options of {@link testRunStore}. */
export interface RunStoreTestOptions {
  /** Check the optional `ScheduleStore` members too. Default true; false for a store without schedules. */
  readonly schedules?: boolean
}

/** What a `testRunStore` factory returns: a fresh, empty store, and how to tidy up after it. */
export interface RunStoreTestSetup {
  readonly store: RunStore
  /** Runs after each case, once the suite has closed the store. */
  readonly cleanup?: () => Promise<void>
}

/**
 * Registers the `RunStore` conformance suite as a vitest `describe` block: the promises the
 * provider relies on, checked from outside through the interface alone. `factory` is called
 * before each case and must give an empty store (a new schema, a new database, a new object);
 * the suite migrates it, and closes it after the case.
 *
 * The cases, by role: runs (create with idempotency keys, read, list in pages, stats, shapes);
 * leases (claims and each refusal reason, definitions matched by name, version and shape,
 * renew, release, the reconciler's scan); the journal (fenced updates that change nothing when
 * refused, `seq` 1, 2, 3… without gaps, a step completed or compensated at most once, results);
 * signals (kept until taken, consumed once, `changeRun` atomic); transactions (commit,
 * rollback on throw, rollback after a refused fence); and, unless `options.schedules` is false,
 * schedules (saved definitions, the compare-and-set of the last slot, in a run's transaction). Every check says what it looked at, so a
 * failure names what broke.
 *
 * ### Example
 * ```ts
 * // test/my-store.test.ts
 * import { testRunStore } from '@durable/testing/conformance'
 *
 * testRunStore('myStore', async () => {
 *   const store = myStore({ url: process.env.DATABASE_URL, schema: `t${Date.now()}` })
 *   return { store, cleanup: () => dropSchema(store) }
 * })
 * ```
 */
export function testRunStore(name: string, factory: () => Promise<RunStoreTestSetup>, options: RunStoreTestOptions = {}): void {
  describe(`RunStore conformance: ${name}`, () => {
    let setup: RunStoreTestSetup | undefined

    beforeEach(async () => {
      setup = await factory()
      await setup.store.migrate()
    })

    afterEach(async () => {
      const done = setup
      setup = undefined
      await done?.store.close()
      await done?.cleanup?.()
    })

    const context: SuiteContext = {
      store: () => {
        if (setup === undefined) throw new Error(`${name}: the store is used outside a case`)
        return setup.store
      },
    }
    runCases(context)
    leaseCases(context)
    journalCases(context)
    signalCases(context)
    transactionCases(context)
    flowCases(context)
    if (options.schedules !== false) scheduleCases(context)
  })
}
