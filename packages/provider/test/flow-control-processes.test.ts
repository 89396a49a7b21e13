import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { flowTables, flowWorkflows } from './fixtures/flow-workflows.mjs'
import { killHard, spawnWorker } from './worker-processes.ts'

const workerScript = fileURLToPath(new URL('./fixtures/flow-worker.mjs', import.meta.url))

interface Span {
  key: string | null
  pid: number
  started_at: Date
  ended_at: Date | null
}

/** The most spans of one key open at once; a span without an end closes at `openUntil`. */
function mostAtOnce(spans: readonly Span[], openUntil: Date): number {
  const events = spans.flatMap((s) => [
    { at: s.started_at.getTime(), d: 1 },
    { at: (s.ended_at ?? openUntil).getTime(), d: -1 },
  ])
  // Ends before starts at the same instant: a slot given back and taken is not an overlap.
  events.sort((a, b) => a.at - b.at || a.d - b.d)
  let open = 0
  let most = 0
  for (const e of events) most = Math.max(most, (open += e.d))
  return most
}

describe('flow control across real worker processes on one PostgreSQL', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('flow_processes')
    store = postgresStore({ connectionString: database.url })
    // This process only starts runs: it has no worker.
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: flowWorkflows(store.db), logger: silentLogger })
    await durable.migrate()
    await flowTables.execute(store.db)
    // The first worker, the one killed, runs each handler for 2 s, so it is surely mid-handler when killed.
    for (let i = 0; i < 3; i++) children.push(await spawnWorker({ DATABASE_URL: database.url, ...(i === 0 ? { FLOW_HANDLER_MS: '2000' } : {}) }, workerScript))
  }, 60_000)
  afterAll(async () => {
    await Promise.all(children.map(killHard))
    await durable.close()
    await database.drop()
  })

  const ended = async (workflow: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from durable.runs where workflow_name = ${workflow} and status = 'completed'`.execute(store.db)).rows[0]!.n)
  const waitUntil = async (what: string, done: () => Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  it('holds at most `limit` runs per concurrency key at once over 3 workers, and a SIGKILLed worker leaks no slot', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ input: { tenant: `t${i % 3}`, ms: 15 } }))
    await durable.startMany('flow-limited', items)
    // Kill one worker while it holds runs.
    const victim = children[0]!
    await waitUntil(
      'the victim runs a handler',
      async () => (await sql`select 1 from flow_spans where pid = ${victim.pid} and ended_at is null`.execute(store.db)).rows.length > 0,
      30_000,
    )
    await killHard(victim)
    const killedAt = (await sql<{ now: Date }>`select clock_timestamp() as now`.execute(store.db)).rows[0]!.now
    await waitUntil('all 300 runs completed', async () => (await ended('flow-limited')) === 300, 50_000)

    const { rows } = await sql<Span>`select key, pid, started_at, ended_at from flow_spans where workflow = 'flow-limited'`.execute(store.db)
    for (const key of ['t0', 't1', 't2']) {
      const spans = rows.filter((s) => s.key === key)
      // The killed worker's handlers died with it: their spans end when it was killed.
      expect(mostAtOnce(spans, killedAt), `most handlers of key ${key} running at once`).toBeLessThanOrEqual(2)
      expect(mostAtOnce(spans, killedAt), `key ${key} used both its slots`).toBe(2)
    }
    expect(
      rows.some((s) => s.pid === victim.pid && s.ended_at === null),
      'the victim died mid-run',
    ).toBe(true)
    expect(new Set(rows.map((s) => s.pid)).size, 'runs were driven by every worker').toBeGreaterThanOrEqual(3)
  }, 60_000)

  it('lets at most 20 runs begin in any second under rateLimit 20 per 1s, and drops none', async () => {
    await durable.startMany(
      'flow-rated',
      Array.from({ length: 70 }, () => ({ input: { ms: 5 } })),
    )
    await waitUntil('all 70 runs completed', async () => (await ended('flow-rated')) === 70, 50_000)
    const { rows } = await sql<{ begun_at: Date }>`select begun_at from durable.runs where workflow_name = 'flow-rated' order by begun_at`.execute(store.db)
    const begins = rows.map((r) => r.begun_at.getTime())
    expect(begins).toHaveLength(70)
    // Any window of one second, starting at a begin, holds at most 20 begins.
    const most = Math.max(...begins.map((t) => begins.filter((u) => u >= t && u < t + 1000).length))
    expect(most, 'most begins in one second').toBeLessThanOrEqual(20)
    expect(most, 'the limit was used').toBe(20)
    expect(begins.at(-1)! - begins[0]!, '70 begins at 20 a second span three more seconds').toBeGreaterThanOrEqual(3000)
    const { rows: spans } = await sql<{ n: string }>`select count(distinct run_id) as n from flow_spans where workflow = 'flow-rated'`.execute(store.db)
    expect(Number(spans[0]!.n), 'every run ran').toBe(70)
  }, 60_000)
})
