import { defineWorkflow, initialState } from '@durable/core'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

const workflow = defineWorkflow('wf').step('a', async () => 1)
const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms)

describe('prepared statements on the pool the store creates', () => {
  let database: TestDatabase
  let store: PostgresStore
  beforeAll(async () => {
    database = await createTestDatabase('prepared')
    // One connection: the session whose prepared statements the test reads is the one that ran them.
    store = postgresStore({ connectionString: database.url, poolSize: 1 })
    await store.migrate()
  })
  afterAll(async () => {
    await store.close()
    await database.drop()
  })

  const prepared = async () =>
    (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements WHERE name LIKE 'durable\_%' ORDER BY prepare_time`.execute(store.db)).rows.map((row) =>
      row.statement.slice(0, 80),
    )

  it('prepares the claim, the step commit and the results load once per connection, and reuses them', async () => {
    const definitions = [{ name: 'wf', version: null, shapeHash: 'h' }]
    for (const id of ['R1', 'R2']) {
      await store.createRun({
        id,
        workflowName: 'wf',
        workflowVersion: null,
        shapeHash: 'h',
        inputJson: '{}',
        state: initialState(workflow),
        idempotencyKey: null,
        parentRunId: null,
        now: at(0),
      })
      expect((await store.claimRun(id, { owner: 'w1', now: at(0), leaseUntil: at(30_000), definitions })).claimed).toBe(true)
      const state = { ...initialState(workflow), status: 'completed' as const }
      const journal = { stepKey: 'a', stepName: 'a', kind: 'step_completed' as const, attempt: 1, resultJson: '1' }
      expect(await store.updateRun({ runId: id, owner: 'w1', state, dueAt: null, leaseUntil: null, now: at(1), journal })).toBe(true)
      expect((await store.loadResults(id)).map((entry) => entry.result)).toEqual([1])
    }
    const statements = await prepared()
    expect(statements).toHaveLength(3)
    expect(statements.every((text) => text.startsWith('/* durable:prepared */'))).toBe(true)
    // A statement without the mark is not prepared.
    await sql`SELECT 1`.execute(store.db)
    expect(await prepared()).toHaveLength(3)
  })
})
