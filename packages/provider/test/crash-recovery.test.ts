import type { ChildProcess } from 'node:child_process'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { effectsTable, workflows } from './fixtures/workflows.mjs'
import { killHard, spawnWorker } from './worker-processes.ts'

describe('crash recovery with real worker processes', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('crash')
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

  const effects = async (runId: string) =>
    (await sql<{ step: string; attempt: number; pid: number }>`select step, attempt, pid from effects where run_id = ${runId} order by id`.execute(store.db)).rows

  it('resumes a run after SIGKILL mid-step: the finished step ran once, the interrupted one twice', async () => {
    const runId = await durable.start('crashable', { slowMs: 2500 })
    const env = { DATABASE_URL: database.url, LEASE_MS: '1000' }
    const first = await spawnWorker(env)
    children.push(first)
    const deadline = Date.now() + 20_000
    while (!(await effects(runId)).some((e) => e.step === 'slow')) {
      if (Date.now() > deadline) throw new Error('the slow step never started')
      await new Promise((r) => setTimeout(r, 25))
    }
    await killHard(first)
    children.push(await spawnWorker(env))

    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ first: 'first done', slow: 'slow done', last: 'last done' })
    expect((await effects(runId)).map((e) => `${e.step}:${e.attempt}`)).toEqual(['first:1', 'slow:1', 'slow:2', 'last:1'])
    const journal = await durable.journal(runId)
    const completed = journal.filter((e) => e.kind === 'step_completed').map((e) => e.stepKey)
    expect(completed).toEqual(['first', 'slow', 'last'])
    const lost = journal.find((e) => e.kind === 'step_failed')
    expect(lost).toMatchObject({ stepKey: 'slow', attempt: 1, error: { code: 'LEASE_EXPIRED' } })
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_, i) => i + 1))
  })

  it('loses nothing when the process that started a run (and drove it locally) is SIGKILLed mid-step', async () => {
    await Promise.all(children.splice(0).map(killHard))
    const env = { DATABASE_URL: database.url, LEASE_MS: '3000' }
    const input = { slowMs: 2500 }
    const first = await spawnWorker({ ...env, START_WORKFLOW: 'crashable', START_INPUT: JSON.stringify(input), START_KEY: 'local-start' })
    children.push(first)
    // The same key finds the run that process started (and starts nothing).
    const runId = await durable.start('crashable', input, { idempotencyKey: 'local-start' })
    // Started locally: one INSERT, leased to that process's worker and due at once; no job.
    const { rows } = await sql<{ jobs: number; leased: boolean }>`
      select (select count(*)::int from durable.jobs j where j.run_id = r.id) as jobs, r.lease_owner is not null as leased
      from durable.runs r where r.id = ${runId}`.execute(store.db)
    expect(rows[0]).toEqual({ jobs: 0, leased: true })
    await expect.poll(async () => (await effects(runId)).some((e) => e.step === 'slow'), { timeout: 20_000, interval: 25 }).toBe(true)
    expect((await effects(runId)).map((e) => e.pid)).toEqual([first.pid, first.pid])
    await killHard(first)
    children.push(await spawnWorker(env))

    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect((await effects(runId)).map((e) => `${e.step}:${e.attempt}`)).toEqual(['first:1', 'slow:1', 'slow:2', 'last:1'])
    expect((await durable.journal(runId)).filter((e) => e.kind === 'step_failed').map((e) => `${e.stepKey}#${e.attempt}:${e.error?.code}`)).toEqual(['slow#1:LEASE_EXPIRED'])
  })

  it('counts an interrupted first step as a failed try (LEASE_EXPIRED), like any other step', async () => {
    await Promise.all(children.splice(0).map(killHard))
    const runId = await durable.start('slow-first', { slowMs: 2500 })
    const env = { DATABASE_URL: database.url, LEASE_MS: '1000' }
    const first = await spawnWorker(env)
    children.push(first)
    await expect.poll(async () => (await effects(runId)).length, { timeout: 20_000, interval: 25 }).toBe(1)
    await killHard(first)
    children.push(await spawnWorker(env))

    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect((await effects(runId)).map((e) => `${e.step}:${e.attempt}`)).toEqual(['slow:1', 'slow:2', 'last:1'])
    const journal = await durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}#${e.attempt}${e.error ? `:${e.error.code}` : ''}`)).toEqual([
      'step_failed:slow#1:LEASE_EXPIRED',
      'step_completed:slow#2',
      'step_completed:last#1',
    ])
    expect(done.attempts).toBe(3)
  })

  it('keeps a sleep across a SIGKILL: the timer is journaled once and fires once, on time', async () => {
    await Promise.all(children.splice(0).map(killHard))
    const env = { DATABASE_URL: database.url, LEASE_MS: '1000' }
    const first = await spawnWorker(env)
    children.push(first)
    const started = Date.now()
    const runId = await durable.start('sleepy', { napMs: 2000 })
    await expect.poll(async () => (await durable.find(runId)).status, { timeout: 20_000 }).toBe('waiting')
    await killHard(first)
    children.push(await spawnWorker(env))
    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000)
    expect((await effects(runId)).map((e) => e.step)).toEqual(['before', 'after'])
    const kinds = (await durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)
    expect(kinds).toEqual(['step_completed:before', 'timer_started:nap', 'timer_fired:nap', 'step_completed:after'])
  })

  it('resumes a parallel fan-out after SIGKILL: journaled branches never run again, interrupted ones run once more', async () => {
    await Promise.all(children.splice(0).map(killHard))
    const env = { DATABASE_URL: database.url, LEASE_MS: '1000' }
    const first = await spawnWorker(env)
    children.push(first)
    const runId = await durable.start('fanned', { slowMs: 2500 })
    const journaled = async () => (await durable.journal(runId)).filter((e) => e.kind === 'step_completed').map((e) => e.stepKey)
    // Kill while fan.fast is journaled and both slow branches are in flight.
    await expect.poll(async () => (await effects(runId)).length >= 4 && (await journaled()).includes('fan.fast'), { timeout: 20_000, interval: 25 }).toBe(true)
    expect(await journaled()).toEqual(['before', 'fan.fast'])
    await killHard(first)
    children.push(await spawnWorker(env))

    const done = await durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ before: 'before', fan: { fast: 'fast done', slow1: 'fan.slow1 done', slow2: 'fan.slow2 done' }, after: 'fast+slow1+slow2' })
    const ran = (await effects(runId)).map((e) => `${e.step}:${e.attempt}`).sort()
    expect(ran).toEqual(['after:1', 'before:1', 'fan.fast:1', 'fan.slow1:1', 'fan.slow1:2', 'fan.slow2:1', 'fan.slow2:2'])
    const journal = await durable.journal(runId)
    const lost = journal.filter((e) => e.kind === 'step_failed').map((e) => `${e.stepKey}#${e.attempt}:${e.error?.code}`)
    expect(lost).toEqual(['fan.slow1#1:LEASE_EXPIRED', 'fan.slow2#1:LEASE_EXPIRED'])
    const completed = journal.filter((e) => e.kind === 'step_completed').map((e) => e.stepKey)
    expect(completed.slice(0, 2)).toEqual(['before', 'fan.fast'])
    expect([...completed].sort()).toEqual(['after', 'before', 'fan.fast', 'fan.slow1', 'fan.slow2'])
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_, i) => i + 1))
  })

  it('runs 200 runs on two worker processes: every step journaled once, no handler ran twice', async () => {
    await Promise.all(children.splice(0).map(killHard))
    const env = { DATABASE_URL: database.url, CONCURRENCY: '8' }
    const workers = await Promise.all([spawnWorker(env), spawnWorker(env)])
    children.push(...workers)
    const ids = [] as string[]
    for (let i = 0; i < 200; i++) ids.push(await durable.start('quick', { i }))
    for (const id of ids) expect((await durable.waitFor(id, { timeout: '60s' })).status).toBe('completed')

    const perStep = await sql<{ run_id: string; step: string; n: number }>`
      select run_id, step, count(*)::int as n from effects where run_id = any(${ids}) group by run_id, step`.execute(store.db)
    expect(perStep.rows).toHaveLength(600)
    expect(perStep.rows.filter((r) => r.n !== 1)).toEqual([])
    const journaled = await sql<{ n: number; distinct_steps: number }>`
      select count(*)::int as n, count(distinct (run_id, step_key))::int as distinct_steps
      from ${sql.table(`${store.schema}.journal`)} where run_id = any(${ids}) and kind = 'step_completed'`.execute(store.db)
    expect(journaled.rows[0]).toEqual({ n: 600, distinct_steps: 600 })
    const pids = await sql<{ n: number }>`select count(distinct pid)::int as n from effects where run_id = any(${ids})`.execute(store.db)
    expect(pids.rows[0]!.n).toBe(2)
  })
})
