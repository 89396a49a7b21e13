import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { postgresStore } from '@durable/store-postgres'
import { createTestDatabase } from '../../../testing/database.ts'
import { at, insertRun, useBackends } from './backends.ts'

const backends = useBackends()

/** Sets a run's status and last change, as if it had ended (or not) at `updatedAt`. */
async function setRun(store: Awaited<ReturnType<(typeof backends)[number]['newStore']>>, runId: string, status: string, updatedAt: Date): Promise<void> {
  await sql`UPDATE ${sql.id(store.schema, 'runs')} SET status = ${status}, updated_at = ${updatedAt} WHERE id = ${runId}`.execute(store.db)
}

describe.each(backends)('pruneRuns ($name)', (backend) => {
  it('deletes at most limit ended runs per call, and counts them all on a dry run', async () => {
    const store = await backend.newStore()
    const ids = []
    for (let i = 0; i < 5; i++) ids.push(await insertRun(store, { now: at(0) }))
    for (const runId of ids) await setRun(store, runId, 'completed', at(0))
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 1, dryRun: true })).toBe(5)
    expect(await store.pruneRuns({ endedBefore: at(0), limit: 10, dryRun: true })).toBe(0)
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 2 })).toBe(2)
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 2 })).toBe(2)
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 2 })).toBe(1)
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 2 })).toBe(0)
  })

  it('prunes only the runs that ended with the given status', async () => {
    const store = await backend.newStore()
    const ended = { completed: await insertRun(store, { now: at(0) }), failed: await insertRun(store, { now: at(0) }), cancelled: await insertRun(store, { now: at(0) }) }
    for (const [status, runId] of Object.entries(ended)) await setRun(store, runId, status, at(0))
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 10, status: 'failed', dryRun: true })).toBe(1)
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 10, status: 'failed' })).toBe(1)
    expect(await store.getRun(ended.failed)).toBeUndefined()
    expect(await store.getRun(ended.completed)).toBeDefined()
    expect(await store.getRun(ended.cancelled)).toBeDefined()
  })

  it('refuses a limit that is not a positive integer, and a status that is not an ended one', async () => {
    const store = await backend.newStore()
    await expect(store.pruneRuns({ endedBefore: at(1), limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(store.pruneRuns({ endedBefore: at(1), limit: 1, status: 'running' as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it("deletes a run's consumed signals with it, by the index on signals.run_id", async () => {
    const store = await backend.newStore()
    const runId = await insertRun(store, { now: at(0) })
    const signals = sql.id(store.schema, 'signals')
    await sql`INSERT INTO ${signals} (run_id, name, payload, created_at, consumed_at) VALUES (${runId}, 'a', '1', ${at(0)}, ${at(0)}), (${runId}, 'b', '2', ${at(0)}, NULL)`.execute(
      store.db,
    )
    await setRun(store, runId, 'completed', at(0))
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 10 })).toBe(1)
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${signals}`.execute(store.db)
    expect(rows[0]!.n).toBe(0)
  })
})

describe('pruneRuns by index (pg)', () => {
  it('finds the ended runs to prune, and the signals of a deleted run, by index', async () => {
    const database = await createTestDatabase('store_prune_index')
    // Sequential scans priced out: a statement no index can serve still scans the table (and
    // the count below stays 0); one an index can serve uses it, however few rows there are.
    const store = postgresStore({ connectionString: `${database.url}?options=-c%20enable_seqscan%3Doff` })
    const scans = async (index: string): Promise<number> => {
      const { rows } = await sql<{ n: number }>`SELECT coalesce(sum(idx_scan), 0)::int AS n FROM pg_stat_user_indexes WHERE indexrelname = ${index}`.execute(store.db)
      return rows[0]!.n
    }
    try {
      await store.migrate()
      const failed = await insertRun(store, { now: at(0) })
      const completed = await insertRun(store, { now: at(0) })
      await sql`INSERT INTO ${sql.id(store.schema, 'signals')} (run_id, name, payload, created_at, consumed_at) VALUES (${failed}, 'a', '1', ${at(0)}, ${at(0)})`.execute(store.db)
      await setRun(store, failed, 'failed', at(0))
      await setRun(store, completed, 'completed', at(0))
      expect(await store.pruneRuns({ endedBefore: at(1), limit: 10, status: 'failed' })).toBe(1)
      await expect.poll(() => scans('runs_ended_idx'), { timeout: 10_000 }).toBeGreaterThan(0)
      await expect.poll(() => scans('signals_run_id_idx'), { timeout: 10_000 }).toBeGreaterThan(0)
      const before = await scans('runs_ended_idx')
      expect(await store.pruneRuns({ endedBefore: at(1), limit: 10 })).toBe(1)
      await expect.poll(() => scans('runs_ended_idx'), { timeout: 10_000 }).toBeGreaterThan(before)
    } finally {
      await store.close()
      await database.drop()
    }
  })
})
