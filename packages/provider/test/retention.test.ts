import { defineWorkflow, isDurableError, type RunStatus } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { memoryQueue } from '@durable/queue-adapter'
import { postgresStore } from '@durable/store-postgres'
import { PGlite } from '@electric-sql/pglite'
import { sql, type Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const greet = defineWorkflow<{ name: string }>('greet').step('hello', async (ctx) => `hi ${ctx.input.name}`)

/** Runs inserted as they would be after living a while: a status, and how many days ago they last changed. */
interface Seed {
  readonly status: RunStatus
  readonly daysAgo: number
  /** Deleted by `retention: { completed: '30d', failed: '60d' }` (cancelled: kept for ever). */
  readonly goes: boolean
}

/**
 * 1,200 completed runs 40 days old (three batches), and one of each kind that must stay or go:
 * failed 40 days ago (kept 60 days), failed 70 days ago, cancelled 400 days ago (no retention),
 * completed 10 days ago, and active runs 400 days old.
 */
function seeds(): Seed[] {
  const runs: Seed[] = Array.from({ length: 1200 }, () => ({ status: 'completed' as const, daysAgo: 40, goes: true }))
  runs.push({ status: 'failed', daysAgo: 40, goes: false }, { status: 'failed', daysAgo: 70, goes: true }, { status: 'cancelled', daysAgo: 400, goes: false })
  runs.push({ status: 'completed', daysAgo: 10, goes: false })
  for (const status of ['pending', 'running', 'waiting', 'compensating'] as const) runs.push({ status, daysAgo: 400, goes: false })
  return runs
}

const id = (i: number) => `seed-${String(i).padStart(4, '0')}`

/**
 * Inserts the seeds (of a workflow no worker has, so none is driven), each with two journal
 * entries and a signal, in one transaction: the worker's retention is already at work.
 */
async function insertSeeds(h: Harness, runs: readonly Seed[]): Promise<void> {
  await h.store.db.transaction().execute((tx) => insertRows(tx, h.store.schema, runs))
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function insertRows(db: Kysely<any>, schema: string, runs: readonly Seed[]): Promise<void> {
  const t = (name: string) => sql.id(schema, name)
  const ids = runs.map((_, i) => id(i))
  await sql`
    INSERT INTO ${t('runs')} (id, workflow_name, status, input, state, created_at, updated_at, next_seq)
    SELECT id, 'archived', status, '{}', '{}', changed - interval '1 hour', changed, 2
    FROM unnest(cast(${ids} AS text[]), cast(${runs.map((r) => r.status)} AS text[]), cast(${runs.map((r) => r.daysAgo)} AS int[])) AS seed(id, status, days),
      LATERAL (SELECT now() - make_interval(days => days) AS changed) AS at
  `.execute(db)
  await sql`
    INSERT INTO ${t('journal')} (run_id, seq, step_key, step_name, kind, attempt, created_at)
    SELECT id, seq, 'step' || seq, 'step' || seq, 'step_completed', 1, now() FROM unnest(cast(${ids} AS text[])) AS run(id), generate_series(1, 2) AS seq
  `.execute(db)
  await sql`
    INSERT INTO ${t('signals')} (run_id, name, payload, created_at) SELECT id, 'approved', '{}', now() FROM unnest(cast(${ids} AS text[])) AS run(id)
  `.execute(db)
}

/** Rows left: seeded run ids, and journal and signal rows of seeded runs. */
async function remaining(h: Harness): Promise<{ runs: string[]; journal: number; signals: number }> {
  const t = (name: string) => sql.id(h.store.schema, name)
  const runs = await sql<{ id: string }>`SELECT id FROM ${t('runs')} WHERE id LIKE 'seed-%' ORDER BY id`.execute(h.store.db)
  const journal = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${t('journal')} WHERE run_id LIKE 'seed-%'`.execute(h.store.db)
  const signals = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${t('signals')} WHERE run_id LIKE 'seed-%'`.execute(h.store.db)
  return { runs: runs.rows.map((row) => row.id), journal: journal.rows[0]!.n, signals: signals.rows[0]!.n }
}

describe.each(backends)('retention (%s)', (_name, harness) => {
  it('a worker deletes the ended runs older than their status is kept, with journals and signals, and leaves active and young ones', async () => {
    const h = await harness([greet], { retention: { completed: '30d', failed: '60d' }, worker: { retentionIntervalMs: 200 } })
    try {
      const runs = seeds()
      await insertSeeds(h, runs)
      const kept = runs.flatMap((run, i) => (run.goes ? [] : [id(i)]))
      await expect.poll(async () => (await remaining(h)).runs, { timeout: 20_000, interval: 200 }).toEqual(kept)
      expect(await remaining(h)).toEqual({ runs: kept, journal: kept.length * 2, signals: kept.length })
      // A run that just completed is young: it stays through later passes.
      const fresh = await h.durable.start(greet, { name: 'ada' })
      await h.durable.waitFor(fresh, { timeout: '10s' })
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect((await h.durable.find(fresh)).status).toBe('completed')
      expect((await remaining(h)).runs).toEqual(kept)
    } finally {
      await h.close()
    }
  })

  it('one Duration keeps every ended status that long', async () => {
    const h = await harness([greet], { retention: '30d', worker: { retentionIntervalMs: 200 } })
    try {
      const runs = seeds()
      await insertSeeds(h, runs)
      const kept = runs.flatMap((run, i) => (run.daysAgo < 30 || !['completed', 'failed', 'cancelled'].includes(run.status) ? [id(i)] : []))
      expect(kept).toHaveLength(5)
      await expect.poll(async () => (await remaining(h)).runs, { timeout: 20_000, interval: 200 }).toEqual(kept)
    } finally {
      await h.close()
    }
  })
})

describe('retention option', () => {
  it('refuses a bad retention with INVALID_DEFINITION at createDurable', async () => {
    const pglite = new PGlite()
    const store = postgresStore({ pglite })
    try {
      for (const retention of ['soon', -1, Number.NaN, Number.MAX_VALUE, '1e400d', { completed: 'soon' }, { failed: -5 }, { done: '1d' }, { running: '1d' }, ['30d'], null, true]) {
        let code = 'none'
        try {
          createDurable({ store, queue: memoryQueue(), workflows: [greet], logger: silentLogger, retention: retention as never })
        } catch (error) {
          code = isDurableError(error) ? error.code : String(error)
        }
        expect(code, JSON.stringify(retention)).toBe('INVALID_DEFINITION')
      }
      // A store without pruneRuns: retention is refused at once rather than failing every pass.
      const cannotPrune = new Proxy(store, { get: (target, key) => (key === 'pruneRuns' ? undefined : Reflect.get(target, key)) })
      expect(() => createDurable({ store: cannotPrune, queue: memoryQueue(), workflows: [greet], logger: silentLogger, retention: '30d' })).toThrow(
        expect.objectContaining({ code: 'INVALID_DEFINITION' }),
      )
      const durable = createDurable({ store, queue: memoryQueue(), workflows: [greet], logger: silentLogger, retention: { cancelled: 0 } })
      expect(() => durable.worker({ retentionIntervalMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    } finally {
      await store.close()
      await pglite.close()
    }
  })
})
