/**
 * Races on real PostgreSQL: two stores with their own pools, as two worker processes would be,
 * hit the same run at the same moment.
 */
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { at, definitions, insertRun, stateOf } from './backends.ts'

let database: TestDatabase
let a: PostgresStore
let b: PostgresStore

beforeAll(async () => {
  database = await createTestDatabase('race')
  a = postgresStore({ connectionString: database.url, schema: 'race' })
  b = postgresStore({ connectionString: database.url, schema: 'race' })
  await Promise.all([a.migrate(), b.migrate()])
})
afterAll(async () => {
  await a.close()
  await b.close()
  await database.drop()
})

const claim = (store: PostgresStore, runId: string, owner: string, now: Date) =>
  store.claimRun(runId, { owner, now, leaseUntil: new Date(now.getTime() + 1_000), definitions: definitions('wf') })

describe('claimRun races (pg)', () => {
  it('lets exactly one of two concurrent claims win, 50 times over', async () => {
    for (let i = 0; i < 50; i++) {
      const runId = await insertRun(a)
      const results = await Promise.all([claim(a, runId, 'A', at(1)), claim(b, runId, 'B', at(1))])
      const winners = results.filter((result) => result.claimed)
      expect(winners).toHaveLength(1)
      expect(results.find((result) => !result.claimed)).toMatchObject({ reason: 'leased' })
      const owner = winners[0]?.claimed ? winners[0].run.leaseOwner : undefined
      expect((await a.getRun(runId))?.leaseOwner).toBe(owner)
    }
  })

  it('lets exactly one of two workers take over an expired lease, 50 times over', async () => {
    for (let i = 0; i < 50; i++) {
      const runId = await insertRun(a)
      expect((await claim(a, runId, 'dead', at(0))).claimed).toBe(true)
      const results = await Promise.all([claim(a, runId, 'A', at(5_000)), claim(b, runId, 'B', at(5_000))])
      expect(results.filter((result) => result.claimed)).toHaveLength(1)
      expect(results.filter((result) => result.claimed && result.previousLeaseExpired)).toHaveLength(1)
    }
  })

  it('fences the old holder against a takeover at the same moment, 50 times over', async () => {
    for (let i = 0; i < 50; i++) {
      const runId = await insertRun(a)
      expect((await claim(a, runId, 'old', at(0))).claimed).toBe(true)
      const [updated, takeover] = await Promise.all([
        a.updateRun({
          runId,
          owner: 'old',
          state: stateOf({ status: 'running', step: 'b' }),
          dueAt: at(0),
          leaseUntil: at(100_000),
          now: at(5_000),
          journal: { stepKey: 's', stepName: 's', kind: 'step_completed', attempt: 1, resultJson: '1' },
        }),
        claim(b, runId, 'new', at(5_000)),
      ])
      // Either the old holder committed first (its renewed lease then blocks the takeover), or
      // the takeover did (and the old holder's write was refused) — never both, never neither.
      expect(updated !== takeover.claimed).toBe(true)
      expect(await a.journal(runId)).toHaveLength(updated ? 1 : 0)
    }
  })
})
