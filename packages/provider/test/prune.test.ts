import { defineWorkflow, isDurableError, type RunStatus } from '@durable/core'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const DAY = 24 * 60 * 60 * 1000
const NOW = new Date(Date.UTC(2030, 0, 1))
const greet = defineWorkflow<{ name: string }>('greet').step('hello', async (ctx) => `hi ${ctx.input.name}`)

/** What the 1,000 runs are: status, workflow, and how many days ago they last changed. */
interface Seed {
  readonly status: RunStatus
  readonly workflow: 'a' | 'b'
  readonly daysAgo: number
}

const ENDED: readonly RunStatus[] = ['completed', 'failed', 'cancelled']
const ACTIVE: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating']

/**
 * 1,000 runs: 800 ended 40 days ago (400 of each workflow), 100 ended 10 days ago, and 100
 * active, 40 days old (a run waits that long for a signal) — each with two journal entries and
 * a signal.
 */
function seeds(): Seed[] {
  const runs: Seed[] = []
  for (let i = 0; i < 800; i++) runs.push({ status: ENDED[i % 3]!, workflow: i % 2 === 0 ? 'a' : 'b', daysAgo: 40 })
  for (let i = 0; i < 100; i++) runs.push({ status: ENDED[i % 3]!, workflow: i % 2 === 0 ? 'a' : 'b', daysAgo: 10 })
  for (let i = 0; i < 100; i++) runs.push({ status: ACTIVE[i % 4]!, workflow: i % 2 === 0 ? 'a' : 'b', daysAgo: 40 })
  return runs
}

async function insertSeeds(h: Harness, runs: readonly Seed[]): Promise<void> {
  const t = (name: string) => sql.id(h.store.schema, name)
  const ids = runs.map((_, i) => `run-${String(i).padStart(4, '0')}`)
  await sql`
    INSERT INTO ${t('runs')} (id, workflow_name, status, input, state, created_at, updated_at, next_seq)
    SELECT id, workflow, status, '{}', '{}', updated_at, updated_at, 2
    FROM unnest(cast(${ids} AS text[]), cast(${runs.map((r) => r.workflow)} AS text[]), cast(${runs.map((r) => r.status)} AS text[]),
      cast(${runs.map((r) => new Date(NOW.getTime() - r.daysAgo * DAY).toISOString())} AS timestamptz[])) AS seed(id, workflow, status, updated_at)
  `.execute(h.store.db)
  await sql`
    INSERT INTO ${t('journal')} (run_id, seq, step_key, step_name, kind, attempt, created_at)
    SELECT id, seq, 'step', 'step', CASE seq WHEN 1 THEN 'step_failed' ELSE 'step_completed' END, seq, now()
    FROM unnest(cast(${ids} AS text[])) AS run(id), generate_series(1, 2) AS seq
  `.execute(h.store.db)
  await sql`
    INSERT INTO ${t('signals')} (run_id, name, payload, created_at)
    SELECT id, 'approved', '{}', now() FROM unnest(cast(${ids} AS text[])) AS run(id)
  `.execute(h.store.db)
}

/** Rows left: run ids, and journal and signal rows per run. */
async function remaining(h: Harness): Promise<{ runs: string[]; journal: number; signals: number }> {
  const t = (name: string) => sql.id(h.store.schema, name)
  const runs = await sql<{ id: string }>`SELECT id FROM ${t('runs')} ORDER BY id`.execute(h.store.db)
  const journal = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${t('journal')}`.execute(h.store.db)
  const signals = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${t('signals')}`.execute(h.store.db)
  return { runs: runs.rows.map((row) => row.id), journal: journal.rows[0]!.n, signals: signals.rows[0]!.n }
}

async function codeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call()
  } catch (error) {
    return isDurableError(error) ? error.code : `not a DurableError: ${String(error)}`
  }
  return 'none'
}

describe.each(backends)('prune (%s)', (_name, harness) => {
  describe('over 1,000 runs', () => {
    let h: Harness
    const runs = seeds()
    const id = (i: number) => `run-${String(i).padStart(4, '0')}`
    beforeAll(async () => {
      h = await harness([greet], { worker: false, clock: { now: () => new Date(NOW) } })
      await insertSeeds(h, runs)
    })
    afterAll(async () => h?.close())

    it('counts without deleting when asked for a dry run', async () => {
      expect(await h.durable.prune({ olderThan: '30d', workflowName: 'a', dryRun: true })).toEqual({ count: 400 })
      expect(await h.durable.prune({ olderThan: '30d', dryRun: true })).toEqual({ count: 800 })
      expect(await h.durable.prune({ olderThan: '5d', dryRun: true })).toEqual({ count: 900 })
      expect((await remaining(h)).runs).toHaveLength(1000)
    })

    it('refuses bad options with INVALID_INPUT and deletes nothing', async () => {
      const prune = h.durable.prune.bind(h.durable) as (options: unknown) => Promise<unknown>
      for (const options of [
        undefined,
        null,
        {},
        { olderThan: 'soon' },
        { olderThan: -1 },
        { olderThan: Number.NaN },
        { olderThan: '30d', workflowName: '' },
        { olderThan: '30d', workflowName: 5 },
        { olderThan: '30d', dryRun: 'yes' },
        { olderThan: Number.MAX_VALUE },
      ]) {
        expect(await codeOf(() => prune(options)), JSON.stringify(options)).toBe('INVALID_INPUT')
      }
      expect((await remaining(h)).runs).toHaveLength(1000)
    })

    it('deletes every ended run older than olderThan, in batches, with its journal and signals; never an active or a younger one', async () => {
      expect(await h.durable.prune({ olderThan: '30d' })).toEqual({ count: 800 }) // two batches
      const left = await remaining(h)
      const expected = runs.map((run, i) => ({ ...run, id: id(i) })).filter((run) => run.daysAgo === 10 || ACTIVE.includes(run.status))
      expect(expected).toHaveLength(200)
      expect(left.runs).toEqual(expected.map((run) => run.id))
      expect(left).toMatchObject({ journal: 200 * 2, signals: 200 })
      expect(await h.durable.prune({ olderThan: '30d' })).toEqual({ count: 0 })
    })

    it('deletes only the runs of workflowName when given', async () => {
      expect(await h.durable.prune({ olderThan: '1d', workflowName: 'a' })).toEqual({ count: 50 })
      const expected = runs.map((run, i) => ({ ...run, id: id(i) })).filter((run) => ACTIVE.includes(run.status) || (run.daysAgo === 10 && run.workflow === 'b'))
      expect((await remaining(h)).runs).toEqual(expected.map((run) => run.id))
      expect(await h.durable.prune({ olderThan: '1d' })).toEqual({ count: 50 })
      const stats = await h.durable.stats()
      expect(stats.total).toBe(100)
      expect(stats.byStatus).toMatchObject({ completed: 0, failed: 0, cancelled: 0, pending: 25, running: 25, waiting: 25, compensating: 25 })
    })
  })

  it('deletes a run that completed through the API, once it is old enough', async () => {
    const h = await harness([greet])
    try {
      const runId = await h.durable.start(greet, { name: 'ada' })
      await h.durable.waitFor(runId, { timeout: '10s' })
      expect(await h.durable.prune({ olderThan: '1h' })).toEqual({ count: 0 })
      await new Promise((resolve) => setTimeout(resolve, 5))
      expect(await h.durable.prune({ olderThan: 0 })).toEqual({ count: 1 })
      expect(await codeOf(() => h.durable.find(runId))).toBe('RUN_NOT_FOUND')
    } finally {
      await h.close()
    }
  })
})
