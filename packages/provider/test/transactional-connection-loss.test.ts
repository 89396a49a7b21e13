/**
 * A `transactional` step whose database connection breaks — before its journal write, or between
 * its journal write and the COMMIT. Either way its writes and its journal entry go together, the
 * step is tried again, and the run finishes: never failed for good by an outage, never parked.
 */
import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore, type PostgresTransaction } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

/** Set by the step's first try: the wrapper below then cuts the connection just before COMMIT. */
let cutBeforeCommit = false
const terminateOwnBackend = (tx: PostgresTransaction) => sql`select pg_terminate_backend(pg_backend_pid())`.execute(tx).catch(() => {})

const booking = defineWorkflow<{ tag: string; cut: 'in handler' | 'before commit' }>('booking')
  .step('first', async () => 'first')
  .step(
    'book',
    async (ctx) => {
      await sql`insert into bookings (tag, attempt) values (${ctx.input.tag}, ${ctx.attempt})`.execute(ctx.tx!)
      if (ctx.attempt === 1 && ctx.input.cut === 'in handler') await terminateOwnBackend(ctx.tx!) // the journal write that follows fails
      if (ctx.attempt === 1 && ctx.input.cut === 'before commit') cutBeforeCommit = true
      return `booked on attempt ${ctx.attempt}`
    },
    { transactional: true, backoff: () => 50 },
  )
  .step('last', async () => 'last')

describe('a transactional step losing its connection (postgres)', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable

  beforeAll(async () => {
    database = await createTestDatabase('txloss')
    store = postgresStore({ connectionString: database.url })
    // Cut the connection after the step's writes and its journal entry, just before COMMIT.
    const transaction = store.transaction.bind(store)
    store.transaction = (fn) =>
      transaction(async (tx) => {
        const result = await fn(tx)
        if (cutBeforeCommit) {
          cutBeforeCommit = false
          await terminateOwnBackend(tx)
        }
        return result
      })
    durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 100 }), workflows: [booking], logger: silentLogger, leaseMs: 1000 })
    await durable.migrate()
    await sql`create table bookings (tag text not null, attempt int not null)`.execute(store.db)
    await durable.worker({ concurrency: 2, reconcileIntervalMs: 200 }).start()
  })
  afterAll(async () => {
    await durable.close()
    await database.drop()
  })

  const bookings = async (tag: string) =>
    (await sql<{ attempt: number }>`select attempt from bookings where tag = ${tag} order by attempt`.execute(store.db)).rows.map((r) => r.attempt)
  const journal = async (runId: string) => (await durable.journal(runId)).filter((e) => e.stepKey === 'book').map((e) => [e.kind, e.attempt, e.error?.code ?? null])

  it('tries the step again when the connection breaks before its journal write: an outage is not a final failure', async () => {
    const runId = await durable.start(booking, { tag: 'in-handler', cut: 'in handler' })
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results.book).toBe('booked on attempt 2')
    expect(await bookings('in-handler')).toEqual([2])
    expect(await journal(runId)).toEqual([
      ['step_failed', 1, 'STORE_UNAVAILABLE'],
      ['step_completed', 2, null],
    ])
  })

  it('never parks the run when the COMMIT is lost: the run is taken over from what the store holds, and finishes', async () => {
    const runId = await durable.start(booking, { tag: 'before-commit', cut: 'before commit' })
    const done = await durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ first: 'first', book: 'booked on attempt 2', last: 'last' })
    // The first try's booking rolled back with its journal entry: one booking, journaled once.
    expect(await bookings('before-commit')).toEqual([2])
    expect(await journal(runId)).toEqual([
      ['step_failed', 1, 'LEASE_EXPIRED'],
      ['step_completed', 2, null],
    ])
  })
})
