import type { ChildProcess } from 'node:child_process'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { seenTable, workflows } from './fixtures/workflows.mjs'
import { killHard, spawnWorker } from './worker-processes.ts'

/**
 * The group commit under SIGKILL: workers with many runs in flight (so step commits share
 * statements) are killed while batches are in flight. Every run must finish, no step be journaled
 * twice, and every result a step was handed must be in the journal: a result is handed on only
 * once its batch committed.
 */
describe('group commit: SIGKILL while batches are in flight', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('group_commit_crash')
    store = postgresStore({ connectionString: database.url })
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: workflows(store.db), logger: silentLogger })
    await durable.migrate()
    await seenTable.execute(store.db)
  })
  afterAll(async () => {
    await Promise.all(children.map(killHard))
    await durable.close()
    await database.drop()
  })

  it('finishes every run, journals each step once, and never hands on a result that was not committed', async () => {
    const env = { DATABASE_URL: database.url, CONCURRENCY: '32', LEASE_MS: '2000', RECONCILE_MS: '200' }
    children.push(await spawnWorker(env), await spawnWorker(env))
    const ids = await durable.startMany(
      'handoff',
      Array.from({ length: 400 }, (_, i) => ({ input: { i } })),
    )
    const journaled = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`${store.schema}.journal`)} where kind = 'step_completed'`.execute(store.db)).rows[0]!.n)
    // Kill each worker once it is well into the backlog, and start a fresh one in its place.
    for (const target of [200, 800]) {
      while ((await journaled()) < target) await new Promise((resolve) => setTimeout(resolve, 20))
      await killHard(children.shift()!)
      children.push(await spawnWorker(env))
    }
    for (const id of ids) expect((await durable.waitFor(id, { timeout: '90s' })).status).toBe('completed')

    const { rows: steps } = await sql<{ run_id: string; step_key: string; n: number }>`
      select run_id, step_key, count(*)::int as n from ${sql.table(`${store.schema}.journal`)}
      where kind = 'step_completed' group by run_id, step_key`.execute(store.db)
    expect(steps).toHaveLength(1600)
    expect(steps.filter((row) => row.n !== 1)).toEqual([])

    // Every result a try was handed is the committed result of that step.
    const { rows: mismatches } = await sql<{ run_id: string; step: string; key: string }>`
      select s.run_id, s.step, r.key from seen s cross join jsonb_each_text(s.results) as r(key, value)
      where not exists (
        select 1 from ${sql.table(`${store.schema}.journal`)} j
        where j.run_id = s.run_id and j.step_key = r.key and j.kind = 'step_completed' and j.result #>> '{}' = r.value)`.execute(store.db)
    expect(mismatches).toEqual([])
    // And it was handed every step before it: a, then a+b, then a+b+c.
    const { rows: seen } = await sql<{ step: string; keys: string }>`
      select step, string_agg(key, '+' order by key) as keys
      from seen cross join lateral jsonb_object_keys(results) as key group by id, step`.execute(store.db)
    for (const row of seen) expect(row.keys).toBe({ b: 'a', c: 'a+b', d: 'a+b+c' }[row.step])
    const { rows: kills } = await sql<{ n: number }>`select count(distinct pid)::int as n from seen`.execute(store.db)
    expect(kills[0]!.n).toBeGreaterThanOrEqual(3)
  })
})
