/**
 * `claimDueRuns` on real PostgreSQL: two stores with their own pools, as two worker processes
 * would be, drain one backlog at once; a commit that releases a run races a bulk claim of it;
 * a dead worker's leases are taken over before they expire.
 */
import { LIVE_OWNER_MARK } from '@durable/core'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { at, definitions, insertRun, lease, stateOf } from './backends.ts'

let database: TestDatabase
let a: PostgresStore
let b: PostgresStore

beforeAll(async () => {
  database = await createTestDatabase('bulk_claim')
  a = postgresStore({ connectionString: database.url, schema: 'bulk' })
  b = postgresStore({ connectionString: database.url, schema: 'bulk' })
  await Promise.all([a.migrate(), b.migrate()])
})
afterAll(async () => {
  await a.close()
  await b.close()
  await database.drop()
})

const bulk = (store: PostgresStore, owner: string, now: Date, limit: number) =>
  store.claimDueRuns({ owner, now, leaseUntil: new Date(now.getTime() + 60_000), definitions: definitions('wf'), limit })

describe('claimDueRuns (pg)', () => {
  it('never gives one run to two concurrent bulk claimers: a backlog drains, each run taken once', async () => {
    await sql`UPDATE bulk.runs SET status = 'cancelled'`.execute(a.db) // earlier cases' runs out of the way
    const backlog = new Set<string>()
    for (let i = 0; i < 120; i++) backlog.add(await insertRun(a, { now: at(i) }))
    const taken: Array<[string, string]> = []
    for (let round = 0; round < 40 && taken.length < backlog.size; round++) {
      const [byA, byB] = await Promise.all([bulk(a, 'A', at(1_000), 7), bulk(b, 'B', at(1_000), 7)])
      taken.push(...byA.map((c): [string, string] => [c.run.id, 'A']), ...byB.map((c): [string, string] => [c.run.id, 'B']))
    }
    const ids = taken.map(([id]) => id)
    expect(new Set(ids).size, 'runs taken, each once').toBe(ids.length)
    expect(new Set(ids), 'the whole backlog').toEqual(backlog)
    for (const [id, owner] of taken.slice(0, 20)) expect((await a.getRun(id))?.leaseOwner, `owner of ${id}`).toBe(owner)
  })

  it('reads the results a commit made as it released the run, however the two race, 30 times over', async () => {
    for (let i = 0; i < 30; i++) {
      await sql`UPDATE bulk.runs SET status = 'cancelled' WHERE status NOT IN ('completed', 'failed', 'cancelled')`.execute(a.db)
      const runId = await insertRun(a)
      await lease(a, runId, 'old', at(0), 60_000)
      const [updated, claimed] = await Promise.all([
        a.updateRun({
          runId,
          owner: 'old',
          state: stateOf({ status: 'running', step: 'b' }),
          dueAt: at(0),
          leaseUntil: null,
          now: at(5),
          journal: { stepKey: 's', stepName: 's', kind: 'step_completed', attempt: 1, resultJson: `{"i":${i}}` },
        }),
        bulk(b, 'new', at(10), 5),
      ])
      expect(updated, 'the holder’s commit').toBe(true)
      const mine = claimed.find((c) => c.run.id === runId)
      if (mine === undefined) continue // the claim came first and found the run leased
      expect(mine.results, 'results with the claim').toEqual([{ stepKey: 's', stepName: 's', kind: 'step_completed', result: { i } }])
      expect(mine.run.state, 'the state with the claim').toMatchObject({ status: 'running' })
    }
  })

  it('takes over the leases of a worker seen dead, before they expire, and not while it lives', async () => {
    const owner = `dying${LIVE_OWNER_MARK}`
    const liveness = await a.holdLiveness!(owner)
    await sql`UPDATE bulk.runs SET status = 'cancelled' WHERE status NOT IN ('completed', 'failed', 'cancelled')`.execute(a.db)
    const runId = await insertRun(a)
    await lease(a, runId, owner, at(0), 60_000)
    expect(await bulk(b, 'B', at(1_000), 5), 'while the holder lives').toEqual([])
    await liveness.release() // its liveness connection closes: as when its process dies
    let taken: Awaited<ReturnType<typeof bulk>>[number] | undefined
    for (let i = 0; i < 100 && taken === undefined; i++) {
      ;[taken] = await bulk(b, 'B', at(1_000), 5)
      if (taken === undefined) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(taken, 'once it is dead').toMatchObject({ previousLeaseExpired: true, run: { id: runId, leaseOwner: 'B' } })
    expect(await a.updateRun({ runId, owner, state: taken!.run.state, dueAt: null, leaseUntil: null, now: at(1_001) }), 'the dead holder’s late write').toBe(false)
  })
})
