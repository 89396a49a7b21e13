/**
 * A worker frozen past its lease (SIGSTOP: a long GC pause, a suspended VM) must not be able to
 * commit anything once it wakes up: another worker took the run over and its result wins.
 */
import type { ChildProcess } from 'node:child_process'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { faultTables, faultWorkflows } from './fixtures/fault-workflows.mjs'
import { killHard, spawnFaultWorker } from './worker-processes.ts'

describe('lease fencing with a worker paused past its lease', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('fencing')
    store = postgresStore({ connectionString: database.url })
    // No worker in this process: the two worker processes do all the work.
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: faultWorkflows(store.db), logger: silentLogger })
    await durable.migrate()
    for (const table of faultTables) await table.execute(store.db)
  })
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => killHard(child)))
  })
  afterAll(async () => {
    await durable.close()
    await database.drop()
  })

  /** Starts a worker process; `paused` makes it the one that pauses mid-step. */
  async function worker(name: string, paused: boolean): Promise<{ child: ChildProcess; logs: string[] }> {
    const started = await spawnFaultWorker(database.url, name, { paused })
    children.push(started.child)
    return started
  }

  const effects = async (runId: string) =>
    (
      await sql<{ step: string; attempt: number; pid: number; what: string }>`
      select step, attempt, pid, what from fence_effects where run_id = ${runId} order by id`.execute(store.db)
    ).rows

  const journal = async (runId: string) => (await durable.journal(runId)).map((e) => [e.kind, e.stepKey, e.attempt, e.error?.code ?? e.result ?? null])

  it('aborts ctx.signal of the paused worker when it wakes, and keeps the other worker’s result', async () => {
    const a = await worker('fence_a', true)
    const runId = await durable.start('fenced-wait')
    await until(async () => (await effects(runId)).some((e) => e.what === 'started'))
    process.kill(a.child.pid!, 'SIGSTOP')

    // Frozen, A renews nothing: its lease expires and B takes the run over and finishes it.
    const b = await worker('fence_b', false)
    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect(done.results.slow).toBe(`result of ${b.child.pid}`)

    process.kill(a.child.pid!, 'SIGCONT')
    await until(async () => (await effects(runId)).some((e) => e.what.startsWith('aborted')))
    expect((await effects(runId)).map((e) => [e.pid, e.attempt, e.what])).toEqual([
      [a.child.pid, 1, 'started'],
      [b.child.pid, 2, 'started'],
      [a.child.pid, 1, 'aborted:LEASE_LOST'],
    ])
    // A's late return reached nothing: the journal holds B's result, once.
    await until(async () => a.logs.some((line) => line.includes(`abandoned step \\"slow\\" of run \\"${runId}\\"`)))
    expect(await journal(runId)).toEqual([
      ['step_completed', 'before', 1, 'ok'],
      ['step_failed', 'slow', 1, 'LEASE_EXPIRED'],
      ['step_completed', 'slow', 2, `result of ${b.child.pid}`],
    ])
    expect((await durable.find(runId)).status).toBe('completed')
  })

  it('refuses the commit of the paused worker: its transactional writes roll back, the other worker’s stay', async () => {
    const a = await worker('fence_c', true)
    const runId = await durable.start('fenced-tx')
    // Freeze A while it waits on its own connection, after writing through ctx.tx: once woken,
    // its handler returns at once and the worker tries to commit the step.
    await until(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where application_name = 'fence_c' and state = 'active' and query like 'select pg_sleep%'`.execute(store.db)
      return rows[0]!.n === 1
    })
    process.kill(a.child.pid!, 'SIGSTOP')

    const b = await worker('fence_d', false)
    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.results.book).toBe(`booked by ${b.child.pid}`)

    process.kill(a.child.pid!, 'SIGCONT')
    // The fence refused A's commit (the UPDATE's lease_owner no longer matched) …
    await until(async () => a.logs.some((line) => line.includes(`lost the lease of run \\"${runId}\\"`) && line.includes('discarded')))
    // … and the transaction holding A's ledger row rolled back with it: exactly one booking.
    const ledger = await sql<{ pid: number }>`select pid from fence_ledger where run_id = ${runId} order by id`.execute(store.db)
    expect(ledger.rows.map((row) => row.pid)).toEqual([b.child.pid])
    expect(await journal(runId)).toEqual([
      ['step_completed', 'before', 1, 'ok'],
      ['step_failed', 'book', 1, 'LEASE_EXPIRED'],
      ['step_completed', 'book', 2, `booked by ${b.child.pid}`],
    ])
    expect((await effects(runId)).map((e) => [e.pid, e.attempt, e.what])).toEqual([
      [a.child.pid, 1, 'started'],
      [b.child.pid, 2, 'started'],
    ])
  })
})

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
