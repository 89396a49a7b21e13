/**
 * With queue-postgres consuming, a bulk claim of due runs (`claimDueRuns`) takes their due jobs
 * in the same statement: the job and the run are claimed in one round trip. On pg and PGlite.
 */
import { PGlite } from '@electric-sql/pglite'
import { defineWorkflow, initialState, type NewRun } from '@durable/core'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { ulid } from 'ulid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

let database: TestDatabase
let pglite: PGlite
let schemas = 0

beforeAll(async () => {
  database = await createTestDatabase('bulk_jobs')
  pglite = new PGlite()
})
afterAll(async () => {
  await pglite.close()
  await database.drop()
})

const workflow = defineWorkflow('wf').step('a', async () => 1)
const SHAPE = 'shape-1'
const definitions = [{ name: 'wf', version: null, shapeHash: SHAPE }]

function newRun(now: Date): NewRun {
  return { id: ulid(), workflowName: 'wf', workflowVersion: null, shapeHash: SHAPE, inputJson: '{}', state: initialState(workflow), idempotencyKey: null, parentRunId: null, now }
}

const jobsOf = async (store: PostgresStore) =>
  (await sql<{ run_id: string }>`SELECT run_id FROM ${sql.table(`${store.schema}.jobs`)} ORDER BY run_id`.execute(store.db)).rows.map((row) => row.run_id)

for (const backend of ['pg', 'PGlite'] as const) {
  describe(`a bulk claim takes the runs' jobs (${backend})`, () => {
    it('deletes the due jobs of the runs it claims, and keeps the others', async () => {
      const schema = `bj${++schemas}`
      const store = backend === 'pg' ? postgresStore({ connectionString: database.url, schema }) : postgresStore({ pglite, schema })
      const queue = postgresQueue({ store })
      try {
        await store.migrate({ alongside: () => queue.migrate() })
        // A consumer registers the jobs table with the store; it finds no job and stops.
        const consumer = await queue.consume(async () => {}, { concurrency: 1 })
        await consumer.stop()
        const now = new Date()
        const due = newRun(new Date(now.getTime() - 1_000))
        const wakeLater = newRun(new Date(now.getTime() - 1_000))
        const notDue = newRun(new Date(now.getTime() + 60_000))
        for (const run of [due, wakeLater, notDue]) await store.createRun(run)
        await queue.dispatch({ runId: due.id })
        await queue.dispatch({ runId: wakeLater.id, runAt: new Date(now.getTime() + 60_000) })
        await queue.dispatch({ runId: notDue.id, runAt: notDue.now })
        // The claim's time comes after the dispatches (whose run_at is the database's now()).
        const claimAt = new Date(Date.now() + 1_000)
        const claimed = await store.claimDueRuns({ owner: 'w1', now: claimAt, leaseUntil: new Date(claimAt.getTime() + 30_000), definitions, limit: 10 })
        expect(claimed.map((c) => c.run.id).sort(), 'runs claimed').toEqual([due.id, wakeLater.id].sort())
        expect(await jobsOf(store), 'jobs left: the one due later, and the one of the run not claimed').toEqual([wakeLater.id, notDue.id].sort())
      } finally {
        await queue.close()
        await store.close()
      }
    })
  })
}
