/**
 * A worker killed in the middle of a rollback: compensators that finished are journaled and never
 * run again; the interrupted one runs again; the rollback goes on where it stopped.
 */
import type { ChildProcess } from 'node:child_process'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { faultTables, faultWorkflows } from './fixtures/fault-workflows.mjs'
import { killHard, spawnFaultWorker } from './worker-processes.ts'

describe('a crash mid-rollback', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('rollback')
    store = postgresStore({ connectionString: database.url })
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: faultWorkflows(store.db), logger: silentLogger })
    await durable.migrate()
    for (const table of faultTables) await table.execute(store.db)
  })
  afterAll(async () => {
    await Promise.all(children.map((child) => killHard(child)))
    await durable.close()
    await database.drop()
  })

  it('does not re-run compensators that finished: each step is compensated exactly once, in reverse', async () => {
    const first = await spawnFaultWorker(database.url, 'rollback_a', { paused: true })
    children.push(first.child)
    const runId = await durable.start('saga-crash')
    const effects = async () =>
      (
        await sql<{ step: string; pid: number; what: string }>`
        select step, pid, what from fence_effects where run_id = ${runId} order by id`.execute(store.db)
      ).rows
    // c is compensated, then the worker hangs in b's compensator: kill it there.
    await until(async () => (await effects()).some((e) => e.step === 'b' && e.what === 'undo started'))
    await killHard(first.child)

    const second = await spawnFaultWorker(database.url, 'rollback_b', { paused: false })
    children.push(second.child)
    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ step: 'boom', code: 'NON_RETRYABLE' })

    const [a, b] = [first.child.pid, second.child.pid]
    expect((await effects()).map((e) => [e.step, e.what, e.pid])).toEqual([
      ['c', 'undo started', a],
      ['c', 'undone', a],
      ['b', 'undo started', a],
      ['b', 'undo started', b],
      ['b', 'undone', b],
      ['a', 'undo started', b],
      ['a', 'undone', b],
    ])
    const rollback = (await durable.journal(runId)).filter((e) => e.kind.startsWith('compensat'))
    expect(rollback.map((e) => [e.kind, e.stepKey, e.attempt, e.error?.code ?? null])).toEqual([
      ['compensated', 'c', 1, null],
      ['compensation_failed', 'b', 1, 'LEASE_EXPIRED'],
      ['compensated', 'b', 2, null],
      ['compensated', 'a', 1, null],
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
