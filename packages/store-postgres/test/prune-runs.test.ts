import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
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

  it('refuses a limit that is not a positive integer', async () => {
    const store = await backend.newStore()
    await expect(store.pruneRuns({ endedBefore: at(1), limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})

describe('pruneRuns against a retry (pg)', () => {
  const pg = backends[0]!
  it('skips a failed run that a retry holds locked, and it is active once the retry commits', async () => {
    const store = await pg.newStore()
    const retried = await insertRun(store)
    const other = await insertRun(store)
    await setRun(store, retried, 'failed', at(0))
    await setRun(store, other, 'failed', at(0))
    const runs = sql.id(store.schema, 'runs')
    await store.transaction(async (tx) => {
      // What retry() does: lock the run, see it failed, make it active again.
      await sql`SELECT id FROM ${runs} WHERE id = ${retried} FOR UPDATE`.execute(tx)
      expect(await store.pruneRuns({ endedBefore: at(1), limit: 10 })).toBe(1) // the other one
      await sql`UPDATE ${runs} SET status = 'running' WHERE id = ${retried}`.execute(tx)
    })
    expect(await store.pruneRuns({ endedBefore: at(1), limit: 10 })).toBe(0)
    expect(await store.getRun(retried)).toMatchObject({ status: 'running' })
    expect(await store.getRun(other)).toBeUndefined()
  })
})
