import { PGlite } from '@electric-sql/pglite'
import { PGliteDialect } from '@durable/store-postgres'
import { Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let pglite: PGlite
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let db: Kysely<any>

beforeAll(async () => {
  pglite = new PGlite()
  db = new Kysely({ dialect: new PGliteDialect({ pglite }) })
  await sql`CREATE TABLE items (id integer PRIMARY KEY, label text)`.execute(db)
})
afterAll(async () => {
  await db.destroy()
  await pglite.close()
})

const labels = async (executor = db) => (await sql<{ label: string }>`SELECT label FROM items ORDER BY id`.execute(executor)).rows.map((row) => row.label)

describe('PGliteDialect', () => {
  it('never interleaves two transactions on the one session', async () => {
    await sql`TRUNCATE items`.execute(db)
    const seen: string[][] = []
    let releaseFirst!: () => void
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve))
    const first = db.transaction().execute(async (tx) => {
      await sql`INSERT INTO items VALUES (1, 'first')`.execute(tx)
      await firstMayCommit
      throw new Error('roll back')
    })
    // Started while the first is open: it must wait, not run inside the first's transaction.
    const second = db.transaction().execute(async (tx) => {
      seen.push(await labels(tx))
      await sql`INSERT INTO items VALUES (2, 'second')`.execute(tx)
    })
    const outside = labels()
    await new Promise((resolve) => setTimeout(resolve, 50))
    releaseFirst()
    await expect(first).rejects.toThrow('roll back')
    await second
    expect(seen).toEqual([[]])
    // Queued after both transactions: it saw neither the open transaction nor the rolled-back row.
    expect(await outside).toEqual(['second'])
    expect(await labels()).toEqual(['second'])
  })

  it('serializes the transactions of two Kysely instances over the same PGlite', async () => {
    await sql`TRUNCATE items`.execute(db)
    const other = new Kysely({ dialect: new PGliteDialect({ pglite }) })
    const order: string[] = []
    await Promise.all([
      db.transaction().execute(async (tx) => {
        order.push('a:begin')
        await sql`INSERT INTO items VALUES (1, 'a')`.execute(tx)
        await new Promise((resolve) => setTimeout(resolve, 20))
        order.push('a:end')
      }),
      other.transaction().execute(async (tx) => {
        order.push('b:begin')
        await sql`INSERT INTO items VALUES (2, 'b')`.execute(tx)
        order.push('b:end')
      }),
    ])
    expect(order).toEqual(['a:begin', 'a:end', 'b:begin', 'b:end'])
  })

  it('reports affected rows, returns typed values and parses JSON once', async () => {
    await sql`TRUNCATE items`.execute(db)
    const inserted = await db
      .insertInto('items')
      .values([
        { id: 1, label: 'x' },
        { id: 2, label: 'y' },
      ])
      .executeTakeFirst()
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n)
    const updated = await db.updateTable('items').set({ label: 'z' }).where('id', '=', 1).executeTakeFirst()
    expect(updated.numUpdatedRows).toBe(1n)
    const deleted = await db.deleteFrom('items').executeTakeFirst()
    expect(deleted.numDeletedRows).toBe(2n)
    const instant = new Date('2030-01-02T03:04:05.678Z')
    const { rows } = await sql<{ n: number; at: Date; doc: unknown; big: unknown }>`
      SELECT 42::int AS n, ${instant}::timestamptz AS at, '{"a":[1,"é"]}'::jsonb AS doc, 9007199254740993::int8 AS big`.execute(db)
    expect(rows[0]?.n).toBe(42)
    expect(rows[0]?.at).toEqual(instant)
    expect(rows[0]?.doc).toEqual({ a: [1, 'é'] })
    expect(rows[0]?.big).toBe(9007199254740993n)
  })

  it('rolls back to savepoints', async () => {
    await sql`TRUNCATE items`.execute(db)
    const tx = await db.startTransaction().execute()
    await tx.insertInto('items').values({ id: 1, label: 'kept' }).execute()
    const inner = await tx.savepoint('inner "quoted"').execute()
    await inner.insertInto('items').values({ id: 2, label: 'undone' }).execute()
    const back = await inner.rollbackToSavepoint('inner "quoted"').execute()
    await back.insertInto('items').values({ id: 3, label: 'after' }).execute()
    const second = await back.savepoint('second').execute()
    await (await second.releaseSavepoint('second').execute()).commit().execute()
    expect(await labels()).toEqual(['kept', 'after'])
  })

  it('refuses to commit a transaction a failed statement aborted', async () => {
    await sql`TRUNCATE items`.execute(db)
    const aborted = db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ id: 1, label: 'a' }).execute()
      await sql`SELECT 1/0`.execute(tx).catch(() => {})
    })
    await expect(aborted).rejects.toThrow('rolled back')
    expect(await labels()).toEqual([])
    expect(await labels()).toEqual([]) // and the session is usable again
  })

  it('does not stream', async () => {
    await expect(db.selectFrom('items').selectAll().stream().next()).rejects.toThrow('not supported')
  })
})
