/**
 * Workers whose clocks are minutes off: leases, due times and sleeps are measured on the
 * database's clock, so neither worker takes over the other's live leases nor ends a sleep early.
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { effectsTable, workflows } from './fixtures/workflows.mjs'
import { killHard, spawnWorker } from './worker-processes.ts'

const skewedClock = fileURLToPath(new URL('./fixtures/skewed-clock.mjs', import.meta.url))
const FIVE_MINUTES = 5 * 60_000

/** The environment of a worker process whose clock is `skewMs` off. */
function skewed(skewMs: number): Record<string, string> {
  const preload = `--import=${pathToFileURL(skewedClock).href}`
  return { CLOCK_SKEW_MS: String(skewMs), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim() }
}

describe('workers with skewed clocks', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('skew')
    store = postgresStore({ connectionString: database.url })
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: workflows(store.db), logger: silentLogger })
    await durable.migrate()
    await effectsTable.execute(store.db)
  })
  afterAll(async () => {
    await Promise.all(children.map(killHard))
    await durable.close()
    await database.drop()
  })

  it('shifts the wall clock of a process by CLOCK_SKEW_MS (the preload the test relies on)', () => {
    for (const skew of [FIVE_MINUTES, -FIVE_MINUTES]) {
      const script = 'process.stdout.write(String(Date.now() - new Date(performance.timeOrigin + performance.now()).getTime()))'
      const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...skewed(skew) } })
      expect(Math.abs(Number(String(out)) - skew)).toBeLessThan(1_000)
    }
  })

  it('runs no step twice and ends no sleep early with one worker 5 minutes ahead, one 5 minutes behind and one on time', async () => {
    const leaseMs = 3_000
    // Longer than leaseMs / 3: each step's lease is renewed while it runs.
    const workMs = 1_500
    const napMs = 2_000
    const env = { DATABASE_URL: database.url, LEASE_MS: String(leaseMs), CONCURRENCY: '8' }
    // And one on time: its leases are the ones a fast clock would see expired.
    const onTime = await spawnWorker(env)
    const ahead = await spawnWorker({ ...env, ...skewed(FIVE_MINUTES) })
    const behind = await spawnWorker({ ...env, ...skewed(-FIVE_MINUTES) })
    children.push(onTime, ahead, behind)

    const ids: string[] = []
    for (let i = 0; i < 10; i++) ids.push(await durable.start('paced', { i, workMs, napMs }))
    for (const id of ids) expect((await durable.waitFor(id, { timeout: '60s' })).status).toBe('completed')

    // Every step of every run ran once: no worker took over a live lease.
    const ran = await sql<{ run_id: string; step: string; n: number }>`
      select run_id, step, count(*)::int as n from effects where run_id = any(${ids}) group by run_id, step`.execute(store.db)
    expect(ran.rows).toHaveLength(20)
    expect(ran.rows.filter((row) => row.n !== 1)).toEqual([])
    const pids = await sql<{ pid: number }>`select distinct pid from effects where run_id = any(${ids})`.execute(store.db)
    expect(pids.rows.every((row) => [onTime.pid, ahead.pid, behind.pid].includes(row.pid))).toBe(true)

    const naps: number[] = []
    for (const id of ids) {
      const journal = await durable.journal(id)
      expect(journal.map((e) => `${e.kind}:${e.stepKey}`)).toEqual(['step_completed:work', 'timer_started:nap', 'timer_fired:nap', 'step_completed:after'])
      const until = new Date((journal[1]!.result as { until: string }).until).getTime()
      const steps = await sql<{ step: string; at: Date }>`select step, at from effects where run_id = ${id} order by id`.execute(store.db)
      const [work, after] = steps.rows.map((row) => row.at.getTime())
      // On the database's clock: the sleep ended at its time, not before …
      expect(after!).toBeGreaterThanOrEqual(until)
      // … and its time was set on the database's clock: the step, then the whole nap.
      expect(after! - work!).toBeGreaterThanOrEqual(workMs + napMs)
      expect(until - work!).toBeLessThan(workMs + napMs + 1_000)
      naps.push(after! - until)
    }
    console.info(`sleeps ended ${Math.min(...naps)}–${Math.max(...naps)} ms after their journaled time, on the database's clock`)
  })
})
