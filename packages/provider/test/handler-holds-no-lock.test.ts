/**
 * Guarantee 3: no database transaction or row lock is held while a plain (non-transactional)
 * handler runs. Checked from the outside while a handler is blocked: pg_stat_activity shows no
 * session idle in a transaction, and the run's row can be locked at once.
 */
import { defineWorkflow } from '@durable/core'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresHarness, type Harness } from './harness.ts'

let entered = () => {}
let release = () => {}
const blocked = (ctx: { tx?: unknown }) =>
  new Promise<string>((resolve) => {
    release = () => resolve(ctx.tx === undefined ? 'plain' : 'transactional')
    entered()
  })
const plain = defineWorkflow('plain').step('wait', blocked)
const transactional = defineWorkflow('transactional').step('wait', blocked, { transactional: true })

describe('locks while a handler runs (postgres)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await postgresHarness([plain, transactional])
  })
  afterAll(async () => h.close())

  /** Sessions of this database that hold a transaction open between statements. */
  const idleInTransaction = async () =>
    (
      await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`.execute(h.store.db)
    ).rows[0]!.n

  /** Locks the run's row with NOWAIT: fails at once if any transaction holds it. */
  const lockRowNow = (runId: string) => h.store.transaction(async (tx) => (await sql`select id from durable.runs where id = ${runId} for update nowait`.execute(tx)).rows.length)

  it('holds no transaction and no row lock while a plain step runs', async () => {
    const running = new Promise<void>((resolve) => (entered = resolve))
    const runId = await h.durable.start(plain)
    await running
    expect(await idleInTransaction()).toBe(0)
    expect(await lockRowNow(runId)).toBe(1)
    release()
    expect((await h.durable.waitFor(runId, { timeout: '10s' })).results).toEqual({ wait: 'plain' })
  })

  it('holds its transaction (but not the run’s row) while a transactional step runs, as it must', async () => {
    const running = new Promise<void>((resolve) => (entered = resolve))
    const runId = await h.durable.start(transactional)
    await running
    expect(await idleInTransaction()).toBe(1)
    expect(await lockRowNow(runId)).toBe(1)
    release()
    expect((await h.durable.waitFor(runId, { timeout: '10s' })).results).toEqual({ wait: 'transactional' })
  })
})
