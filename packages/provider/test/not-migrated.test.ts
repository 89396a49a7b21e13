import { PGlite } from '@electric-sql/pglite'
import { defineWorkflow, isDurableError } from '@durable/core'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../testing/database.ts'

const greet = defineWorkflow<{ name: string }>('greet').step('hello', async (ctx) => `hi ${ctx.input.name}`)

interface Setup {
  readonly durable: Durable
  readonly store: PostgresStore
}

/** A runtime on a database nobody migrated: a fresh PostgreSQL database, or a fresh PGlite. */
const backends: Array<[string, () => Promise<Setup & { drop(): Promise<void> }>]> = [
  [
    'postgres',
    async () => {
      const database = await createTestDatabase('not_migrated')
      return { ...open(postgresStore({ connectionString: database.url })), drop: () => database.drop() }
    },
  ],
  [
    'pglite',
    async () => {
      const pglite = new PGlite()
      return { ...open(postgresStore({ pglite })), drop: () => pglite.close() }
    },
  ],
]

function open(store: PostgresStore): Setup {
  const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 100 }), workflows: [greet], logger: silentLogger })
  return { durable, store }
}

/** The error `call` rejects with (or throws). */
async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

/** Expects `NOT_MIGRATED`, naming the fix, and never a raw driver error. */
async function expectNotMigrated(call: () => Promise<unknown>): Promise<void> {
  const error = await failureOf(call)
  expect(isDurableError(error, 'NOT_MIGRATED'), String(error)).toBe(true)
  expect((error as Error).message).toMatch(/run migrate\(\)/)
  expect((error as Error).message).toMatch(/durable migrate/)
}

describe.each(backends)('a database without the durable tables (%s)', (_name, setUp) => {
  let setup: (Setup & { drop(): Promise<void> }) | undefined
  afterEach(async () => {
    await setup?.durable.close()
    await setup?.drop()
    setup = undefined
  })

  it('gives NOT_MIGRATED, saying to run migrate(), for every call', async () => {
    setup = await setUp()
    const { durable } = setup
    const runId = '01JAAAAAAAAAAAAAAAAAAAAAAA'
    await expectNotMigrated(() => durable.start(greet, { name: 'ada' }))
    await expectNotMigrated(() => durable.find(runId))
    await expectNotMigrated(() => durable.list())
    await expectNotMigrated(() => durable.list({ workflowName: 'greet', status: 'failed' }))
    await expectNotMigrated(() => durable.signal(runId, 'approved', { by: 'ada' }))
    await expectNotMigrated(() => durable.cancel(runId))
    await expectNotMigrated(() => durable.retry(runId))
    await expectNotMigrated(() => durable.journal(runId))
    await expectNotMigrated(() => durable.stats())
    await expectNotMigrated(() => durable.waitFor(runId, { timeout: '1s' }))
  })

  it('rejects worker().start() at once, and the same worker starts once migrated', async () => {
    setup = await setUp()
    const { durable } = setup
    const worker = durable.worker({ reconcileIntervalMs: 100 })
    await expectNotMigrated(() => worker.start())
    await durable.migrate()
    await worker.start()
    const runId = await durable.start(greet, { name: 'ada' })
    expect((await durable.waitFor(runId, { timeout: '10s' })).result).toEqual({ hello: 'hi ada' })
  })

  it('gives NOT_MIGRATED when a migration this code knows was not applied', async () => {
    setup = await setUp()
    const { durable, store } = setup
    await durable.migrate()
    const runId = await durable.start(greet, { name: 'ada' })
    // As if the tables were made by an older release: its last migration is missing.
    await sql`DELETE FROM ${sql.id(store.schema, 'store_migration')} WHERE name = (SELECT max(name) FROM ${sql.id(store.schema, 'store_migration')})`.execute(store.db)
    await expectNotMigrated(() => durable.worker().start())
    // A column this code reads is missing: the query's error says so, on every call.
    await sql`ALTER TABLE ${sql.id(store.schema, 'runs')} DROP COLUMN idempotency_key`.execute(store.db)
    await expectNotMigrated(() => durable.find(runId))
    await expectNotMigrated(() => durable.start(greet, { name: 'grace' }))
  })
})
