/**
 * PostgreSQL goes away and comes back (on its own server, restarted on the same data and port):
 * callers get a clear `STORE_UNAVAILABLE`, workers keep going, listeners listen again.
 */
import { defineWorkflow, isDurableError } from '@durable/core'
import { createDurable, type Durable, type Logger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startPostgres, type RestartablePostgres } from '../src/postgres-server.ts'

const secret = 'outage-secret-8d1f'

/** The first execution of step `slow` of run 0 signals it started, then waits until the test lets it finish. */
let slowStarted = () => {}
let finishSlow = () => {}
const executions: string[] = []
const steady = defineWorkflow<{ n: number }>('steady')
  .step('first', async (ctx) => (executions.push(`first:${ctx.input.n}`), 1))
  .step(
    'slow',
    async (ctx) => {
      executions.push(`slow:${ctx.input.n}`)
      if (ctx.input.n === 0 && executions.filter((e) => e === 'slow:0').length === 1) {
        slowStarted()
        await new Promise<void>((resolve) => (finishSlow = resolve))
      }
      return 2
    },
    { backoff: () => 50 },
  )
  .step('last', async (ctx) => (executions.push(`last:${ctx.input.n}`), 3))

describe('database outages', () => {
  let server: RestartablePostgres
  let store: PostgresStore
  let durable: Durable
  const logged: string[] = []
  const logger: Logger = {
    info: () => {},
    warn: (obj, msg) => logged.push(`${msg} ${JSON.stringify(obj, errorFields)}`),
    error: (obj, msg) => logged.push(`${msg} ${JSON.stringify(obj, errorFields)}`),
  }

  beforeAll(async () => {
    server = await startPostgres({ password: secret })
    await server.createDatabase('outage')
    store = postgresStore({ connectionString: server.url('outage') })
    durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 200, logger }), workflows: [steady], logger, leaseMs: 1500 })
    await durable.migrate()
  })
  afterAll(async () => {
    await durable?.close()
    await server?.destroy()
  })

  const runCount = async () => Number((await sql<{ n: string }>`select count(*) as n from durable.runs`.execute(store.db)).rows[0]!.n)

  it('refuses start() with STORE_UNAVAILABLE while the server is down, writes nothing, and starts once it is back', async () => {
    const before = await runCount()
    await server.stop()
    try {
      const error = await durable.start(steady, { n: 100 }, { idempotencyKey: 'during-outage' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isDurableError(error, 'STORE_UNAVAILABLE')).toBe(true)
      expect((error as Error).message).toMatch(/^could not connect to PostgreSQL: .*ECONNREFUSED/)
      expect((error as Error).message).not.toContain(secret)
      // Every other call says the same, none with a raw driver error.
      for (const call of [() => durable.find('01J00000000000000000000000'), () => durable.list(), () => durable.signal('01J00000000000000000000000', 'x')]) {
        expect(
          await call().then(
            () => 'resolved',
            (e: unknown) => (isDurableError(e) ? e.code : String(e)),
          ),
        ).toBe('STORE_UNAVAILABLE')
      }
    } finally {
      await server.start()
    }
    expect(await runCount()).toBe(before)
    const runId = await durable.start(steady, { n: 100 }, { idempotencyKey: 'during-outage' })
    expect(await runCount()).toBe(before + 1)
    expect(await durable.start(steady, { n: 100 }, { idempotencyKey: 'during-outage' })).toBe(runId)
  })

  it('keeps a worker alive through a restart mid-step: every run completes, each step journaled once', async () => {
    const worker = durable.worker({ concurrency: 4, reconcileIntervalMs: 200 })
    await worker.start()
    try {
      const started = new Promise<void>((resolve) => (slowStarted = resolve))
      const first = await durable.start(steady, { n: 0 })
      await started
      await server.stop()
      // The step finishes while the database is down: its commit fails, the worker must not.
      finishSlow()
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await server.start()
      const others = await Promise.all([1, 2, 3].map((n) => durable.start(steady, { n })))
      for (const runId of [first, ...others]) {
        const done = await durable.waitFor(runId, { timeout: '30s' })
        expect(done.status).toBe('completed')
        expect(done.results).toEqual({ first: 1, slow: 2, last: 3 })
        const completed = (await durable.journal(runId)).filter((e) => e.kind === 'step_completed').map((e) => e.stepKey)
        expect(completed).toEqual(['first', 'slow', 'last'])
      }
      // The finished-but-uncommitted step ran again: at-least-once, never lost.
      expect(executions.filter((e) => e === 'slow:0')).toHaveLength(2)
      expect(executions.filter((e) => e === 'first:0')).toHaveLength(1)
      expect(logged.filter((line) => line.includes(secret))).toEqual([])
      expect(logged.some((line) => line.includes('STORE_UNAVAILABLE'))).toBe(true)
    } finally {
      await worker.stop()
    }
  })

  it('survives a restart while a transaction holds a connection: its next query fails with STORE_UNAVAILABLE', async () => {
    // The broken connection is checked out with no query running: pg emits 'error' on it, which
    // would crash the process if nobody listened.
    const outcome = await store
      .transaction(async (tx) => {
        await sql`select 1`.execute(tx)
        await server.stop()
        await server.start()
        await sql`select 1`.execute(tx)
      })
      .then(
        () => 'committed',
        (e: unknown) => (isDurableError(e) ? e.code : String(e)),
      )
    expect(outcome).toBe('STORE_UNAVAILABLE')
    expect((await sql<{ one: number }>`select 1 as one`.execute(store.db)).rows).toEqual([{ one: 1 }])
  })

  it('listens again after a restart: a NOTIFY sent once the server is back arrives', async () => {
    const payloads: string[] = []
    const unlisten = await store.listen('outage_channel', (payload) => payloads.push(payload))
    try {
      await server.stop()
      await server.start()
      let sent = 0
      await vi.waitFor(
        async () => {
          await sql`select pg_notify('outage_channel', ${`after-${++sent}`})`.execute(store.db).catch(() => {})
          expect(payloads.length).toBeGreaterThan(0)
        },
        { timeout: 15_000, interval: 200 },
      )
      expect(payloads[0]).toMatch(/^after-\d+$/)
    } finally {
      await unlisten()
    }
  })
})

/** JSON.stringify drops an Error's message and cause: keep them, to search the log for secrets. */
function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, code: (value as { code?: unknown }).code, cause: value.cause } : value
}
