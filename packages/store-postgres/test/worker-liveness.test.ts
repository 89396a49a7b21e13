import pg from 'pg'
/**
 * A worker's liveness: a session-level advisory lock on a connection of the store's own. While
 * it is held, the worker's unexpired leases are held; once its session ends, they are free for
 * claims, the due scan and stats — long before they expire.
 */
import { PGlite } from '@electric-sql/pglite'
import { LIVE_OWNER_MARK } from '@durable/core'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { at, definitions, insertRun, lease } from './backends.ts'

describe('worker liveness (PostgreSQL)', () => {
  let database: TestDatabase
  const stores: PostgresStore[] = []
  let schemas = 0

  beforeAll(async () => {
    database = await createTestDatabase('liveness')
  })
  afterAll(async () => {
    for (const store of stores) await store.close()
    await database.drop()
  })

  /** Two stores on one fresh schema: the worker's, and another worker's. */
  async function twoStores(): Promise<[PostgresStore, PostgresStore]> {
    const schema = `l${++schemas}`
    const mine = postgresStore({ connectionString: database.url, schema })
    const other = postgresStore({ connectionString: database.url, schema })
    stores.push(mine, other)
    await mine.migrate()
    return [mine, other]
  }

  /** Sessions holding a worker's liveness lock in this database. */
  const holders = async (store: PostgresStore) =>
    (
      await sql<{ pid: number }>`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(store.db)
    ).rows.map((row) => row.pid)

  it('holds a live worker’s lease until its session ends, then frees it for claims, the due scan and stats', async () => {
    const [mine, other] = await twoStores()
    const owner = `w1${LIVE_OWNER_MARK}`
    const liveness = await mine.holdLiveness!(owner)
    expect(liveness.alive).toBe(true)
    const id = await insertRun(mine)
    await lease(mine, id, owner, at(0), 30_000)

    expect(await other.claimRun(id, claimAt(at(1_000), 'w2'))).toMatchObject({ claimed: false, reason: 'leased' })
    expect(await other.findDueRuns({ now: at(1_000), definitions: definitions('wf'), limit: 10 })).toEqual([])
    expect(await other.stats(at(1_000))).toMatchObject({ leased: 1, due: 0 })

    // The worker's process dies: the server ends its session and frees its lock.
    const [pid] = await holders(other)
    await sql`SELECT pg_terminate_backend(${pid}::int)`.execute(other.db)
    await expect.poll(() => holders(other).then((pids) => pids.includes(pid!))).toBe(false)

    expect(await other.stats(at(1_000))).toMatchObject({ leased: 0, due: 1, oldestDueAt: at(0) })
    expect(await other.findDueRuns({ now: at(1_000), definitions: definitions('wf'), limit: 10 })).toEqual([id])
    const taken = await other.claimRun(id, claimAt(at(1_000), 'w2'))
    expect(taken).toMatchObject({ claimed: true, previousLeaseExpired: true, run: { leaseOwner: 'w2' } })
    // Fenced: the dead worker's late writes change nothing.
    expect(await mine.updateRun({ runId: id, owner, state: (await mine.getRun(id))!.state, dueAt: null, leaseUntil: null, now: at(1_001) })).toBe(false)
    await liveness.release()
  })

  it('holds liveness on a pool of the user’s configured by fields, password included (pg hides it from a spread)', async () => {
    const url = new URL(database.url)
    const pool = new pg.Pool({
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
      max: 2,
    })
    const store = postgresStore({ pool, schema: `l${++schemas}` })
    try {
      await store.migrate()
      const liveness = await store.holdLiveness!(`w9${LIVE_OWNER_MARK}`)
      expect(liveness.alive).toBe(true)
      await liveness.release()
    } finally {
      await store.close()
      await pool.end()
    }
  })

  it('takes the lock again once its connection is back, and is not alive meanwhile', async () => {
    const [mine, other] = await twoStores()
    const owner = `w3${LIVE_OWNER_MARK}`
    const liveness = await mine.holdLiveness!(owner)
    const [pid] = await holders(other)
    await sql`SELECT pg_terminate_backend(${pid}::int)`.execute(other.db)
    await expect.poll(() => liveness.alive, { interval: 5 }).toBe(false)
    await expect.poll(() => liveness.alive, { timeout: 5_000 }).toBe(true)
    const [again] = await holders(other)
    expect(again).not.toBe(pid)

    const id = await insertRun(mine)
    await lease(mine, id, owner, at(0), 30_000)
    expect(await other.claimRun(id, claimAt(at(1_000), 'w4'))).toMatchObject({ claimed: false, reason: 'leased' })
    await liveness.release()
    await expect.poll(() => holders(other)).toEqual([])
    expect(await other.claimRun(id, claimAt(at(1_000), 'w4'))).toMatchObject({ claimed: true })
  })

  it('keeps the lease of an owner that never held liveness until it expires', async () => {
    const [mine, other] = await twoStores()
    // No mark: a worker whose store cannot show liveness (PGlite, `{ db }`) — held till expiry.
    const plain = await insertRun(mine)
    await lease(mine, plain, 'plain-worker', at(0), 30_000)
    expect(await other.claimRun(plain, claimAt(at(29_999), 'w2'))).toMatchObject({ claimed: false, reason: 'leased' })
    expect(await other.stats(at(29_999))).toMatchObject({ leased: 1, due: 0 })
    expect(await other.claimRun(plain, claimAt(at(30_000), 'w2'))).toMatchObject({ claimed: true })
    // Marked but its own claim: never "dead" to itself, so never claimed twice.
    const own = await insertRun(mine)
    await lease(mine, own, `w5${LIVE_OWNER_MARK}`, at(0), 30_000)
    expect(await mine.claimRun(own, claimAt(at(1_000), `w5${LIVE_OWNER_MARK}`))).toMatchObject({ claimed: false, reason: 'leased' })
  })

  it('lets several claimers see one dead worker dead at once (the test lock is shared)', async () => {
    const [mine, other] = await twoStores()
    const dead = `w6${LIVE_OWNER_MARK}`
    const first = await insertRun(mine)
    const second = await insertRun(mine)
    await lease(mine, first, dead, at(0), 30_000)
    await lease(mine, second, dead, at(0), 30_000)
    // A claim of the dead worker's first run, still in its transaction (the same test the claim
    // makes: the key is hashtextextended(owner, 7146283910)), holds the test lock …
    await other.db.transaction().execute(async (tx) => {
      const { rows } = await sql<{ dead: boolean }>`SELECT pg_try_advisory_xact_lock_shared(hashtextextended(${dead}::text, 7146283910)) AS dead`.execute(tx)
      expect(rows[0]!.dead).toBe(true)
      // … and a claim of its second run at the same moment sees it dead too.
      expect(await mine.claimRun(second, claimAt(at(1_000), 'w7'))).toMatchObject({ claimed: true })
    })
  })

  it('reads the database’s clock', async () => {
    const [mine] = await twoStores()
    const before = Date.now()
    const now = (await mine.now()).getTime()
    const { rows } = await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(mine.db)
    expect(now).toBeLessThanOrEqual(rows[0]!.now.getTime())
    // Same machine, same clock.
    expect(Math.abs(now - before)).toBeLessThan(1_000)
  })
})

describe('worker liveness (PGlite)', () => {
  let pglite: PGlite
  beforeAll(async () => {
    pglite = new PGlite()
    await pglite.waitReady
  })
  afterAll(async () => {
    await pglite.close()
  })

  it('is not offered: one session serves every worker of the process, and leases expire as before', async () => {
    const store = postgresStore({ pglite, schema: 'l1' })
    await store.migrate()
    expect(store.holdLiveness).toBeUndefined()
    const id = await insertRun(store)
    await lease(store, id, 'w1', at(0), 30_000)
    expect(await store.claimRun(id, claimAt(at(1_000), 'w2'))).toMatchObject({ claimed: false, reason: 'leased' })
    expect(await store.stats(at(1_000))).toMatchObject({ leased: 1 })
    // Its clock is this process's clock.
    expect(Math.abs((await store.now()).getTime() - Date.now())).toBeLessThan(50)
  })
})

function claimAt(now: Date, owner: string) {
  return { owner, now, leaseUntil: new Date(now.getTime() + 30_000), definitions: definitions('wf') }
}
