/**
 * `consume(handler, { claimRuns })`: the statement that takes due jobs also claims their runs,
 * where a plain claim would take them at once, on real PostgreSQL and on PGlite.
 */
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DefinitionKey, RunFlow, RunState } from '@durable/core'
import type { DurableJob, RunClaimer } from '@durable/queue-adapter'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { monotonicFactory } from 'ulid'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

let database: TestDatabase
let pglite: PGlite
const stores: PostgresStore[] = []
let schemas = 0

beforeAll(async () => {
  database = await createTestDatabase('queue_claims')
  pglite = new PGlite()
  await pglite.waitReady
})
afterAll(async () => {
  for (const store of stores) await store.close()
  await pglite.close()
  await database.drop()
})

const newId = monotonicFactory()
const SHAPE = 'shape'
const definitions = (...names: string[]): DefinitionKey[] => names.map((name) => ({ name, version: null, shapeHash: SHAPE }))
const state: RunState = { status: 'pending', step: 'a', attempt: 1, attempts: 0, error: null }
/** Instants of the test's own clock, far from the database's: run due times are compared with it. */
const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function newStore(backend: 'pg' | 'pglite', schema = `c${++schemas}`): Promise<PostgresStore> {
  const store = backend === 'pg' ? postgresStore({ connectionString: database.url, schema }) : postgresStore({ pglite, schema })
  stores.push(store)
  await store.migrate({ alongside: () => postgresQueue({ store }).migrate() })
  return store
}

async function insertRun(store: PostgresStore, options: { workflowName?: string; now?: Date; flow?: Partial<RunFlow> } = {}): Promise<string> {
  const id = newId()
  await store.createRun({
    id,
    workflowName: options.workflowName ?? 'wf',
    workflowVersion: null,
    shapeHash: SHAPE,
    inputJson: '{}',
    state,
    idempotencyKey: null,
    parentRunId: null,
    now: options.now ?? at(0),
    flow: { priority: 0, concurrency: null, rate: null, ...options.flow },
  })
  return id
}

const claimer = (owner: string, driving: readonly string[] = []): RunClaimer => ({
  owner,
  definitions: definitions('wf'),
  lease: async () => ({ now: at(10), leaseUntil: at(30_010), driving }),
})

/** Consumes with `claimRuns` until `count` jobs arrived; returns them. */
async function deliver(store: PostgresStore, ids: readonly string[], claimRuns: RunClaimer, count = ids.length): Promise<DurableJob[]> {
  const queue = postgresQueue({ store, pollIntervalMs: 50 })
  await queue.dispatchMany(ids.map((runId) => ({ runId })))
  const delivered: DurableJob[] = []
  const consumer = await queue.consume(
    async (job) => {
      delivered.push(job)
    },
    { concurrency: 8, claimRuns },
  )
  for (let waited = 0; delivered.length < count && waited < 10_000; waited += 20) await sleep(20)
  await consumer.stop()
  return delivered
}

const jobsLeft = async (store: PostgresStore) => (await store.db.withSchema(store.schema).selectFrom('jobs').select('run_id').execute()).length

describe.each(['pg', 'pglite'] as const)('postgresQueue consume with claimRuns (%s)', (backend) => {
  it('claims the runs of the jobs it takes, in the same statement, and hands them over leased', async () => {
    const store = await newStore(backend)
    const ids = [await insertRun(store), await insertRun(store), await insertRun(store)]
    const delivered = await deliver(store, ids, claimer('w1'))
    expect(delivered.map((job) => job.runId).sort()).toEqual([...ids].sort())
    for (const job of delivered) {
      expect(job.claimed).toMatchObject({ previousLeaseExpired: false, run: { id: job.runId, status: 'running', leaseOwner: 'w1', leaseExpiresAt: at(30_010) } })
      expect(await store.getRun(job.runId)).toEqual(job.claimed?.run)
    }
    expect(await jobsLeft(store)).toBe(0)
  })

  it('delivers bare, and leaves unleased, the runs a plain claim must decide: another definition, flow control, not due, leased, outranked', async () => {
    const store = await newStore(backend)
    const other = await insertRun(store, { workflowName: 'changed' })
    const keyed = await insertRun(store, { flow: { concurrency: { key: 'k', limit: 5 } } })
    const rated = await insertRun(store, { flow: { rate: { key: 'r', limit: 5, periodMs: 1000 } } })
    const later = await insertRun(store, { now: at(60_000) })
    const leased = await insertRun(store)
    const claimedBefore = await store.claimRun(leased, { owner: 'w0', now: at(0), leaseUntil: at(30_000), definitions: definitions('wf') })
    expect(claimedBefore.claimed).toBe(true)
    const low = await insertRun(store)
    // An active run of higher priority: the low one might be outranked; its own claim decides.
    await insertRun(store, { flow: { priority: 5 } })
    const bare = [other, keyed, rated, later, leased, low]
    const delivered = await deliver(store, bare, claimer('w1'))
    expect(delivered.map((job) => job.runId).sort()).toEqual([...bare].sort())
    for (const job of delivered) expect(job.claimed).toBeUndefined()
    for (const id of bare.filter((id) => id !== leased)) expect((await store.getRun(id))?.leaseOwner).toBeNull()
    expect((await store.getRun(leased))?.leaseOwner).toBe('w0')
  })

  it('takes over a lease that expired, and says so', async () => {
    const store = await newStore(backend)
    const id = await insertRun(store)
    expect((await store.claimRun(id, { owner: 'w0', now: at(0), leaseUntil: at(5), definitions: definitions('wf') })).claimed).toBe(true)
    const [job] = await deliver(store, [id], claimer('w1'))
    expect(job?.claimed).toMatchObject({ previousLeaseExpired: true, run: { leaseOwner: 'w1' } })
  })

  it('delivers bare the job of a run the worker drives already (a cancel revoked its lease: the drive must see it)', async () => {
    const store = await newStore(backend)
    const [driven, other] = [await insertRun(store), await insertRun(store)]
    const delivered = await deliver(store, [driven, other], claimer('w1', [driven]))
    expect(delivered.find((job) => job.runId === driven)?.claimed).toBeUndefined()
    expect(delivered.find((job) => job.runId === other)?.claimed).toMatchObject({ run: { leaseOwner: 'w1' } })
    expect((await store.getRun(driven))?.leaseOwner).toBeNull()
  })

  it('claims nothing while the worker may not (lease() gives no lease): the jobs come bare', async () => {
    const store = await newStore(backend)
    const ids = [await insertRun(store), await insertRun(store)]
    const delivered = await deliver(store, ids, { ...claimer('w1'), lease: async () => undefined })
    expect(delivered.map((job) => job.claimed)).toEqual([undefined, undefined])
    for (const id of ids) expect((await store.getRun(id))?.leaseOwner).toBeNull()
  })
})

describe('postgresQueue consume with claimRuns, two workers on separate pools (pg)', () => {
  it('claims each run for exactly one of them', async () => {
    const schema = `c${++schemas}`
    const store = await newStore('pg', schema)
    const other = postgresStore({ connectionString: database.url, schema })
    stores.push(other)
    const ids: string[] = []
    for (let i = 0; i < 300; i++) ids.push(await insertRun(store))
    await postgresQueue({ store }).dispatchMany(ids.map((runId) => ({ runId })))
    const owners = new Map<string, string[]>()
    const consumers = await Promise.all(
      [store, other].map((s, i) =>
        postgresQueue({ store: s, pollIntervalMs: 50 }).consume(
          async (job) => {
            owners.set(job.runId, [...(owners.get(job.runId) ?? []), job.claimed?.run.leaseOwner ?? 'bare'])
            await sleep(1)
          },
          { concurrency: 4, claimRuns: claimer(`w${i}`) },
        ),
      ),
    )
    for (let waited = 0; owners.size < ids.length && waited < 20_000; waited += 20) await sleep(20)
    await Promise.all(consumers.map((c) => c.stop()))
    expect(owners.size).toBe(ids.length)
    const byOwner = { w0: 0, w1: 0 }
    for (const id of ids) {
      const seen = owners.get(id)!
      expect(seen).toHaveLength(1)
      expect(['w0', 'w1']).toContain(seen[0])
      expect((await store.getRun(id))?.leaseOwner).toBe(seen[0])
      byOwner[seen[0] as 'w0' | 'w1']++
    }
    expect(byOwner.w0 + byOwner.w1).toBe(ids.length)
  })
})
