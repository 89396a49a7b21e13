import { isDurableError } from '@durable/core'
import { postgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../testing/database.ts'
import { useBackends } from './backends.ts'

const backends = useBackends()

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'no error',
    (error: unknown) => error,
  )
}

describe.each(backends)('NOT_MIGRATED ($name)', (backend) => {
  it('assertMigrated() refuses a schema without the tables, and passes once migrated', async () => {
    const store = await backend.newStore({ migrate: false })
    const error = await failureOf(store.assertMigrated())
    expect(isDurableError(error, 'NOT_MIGRATED')).toBe(true)
    expect((error as Error).message).toMatch(new RegExp(`schema "${store.schema}" are missing or older than this code .*run migrate\\(\\)`))
    await store.migrate()
    await store.assertMigrated()
  })

  it('assertMigrated() names the migrations not applied, and accepts tables of newer code', async () => {
    const store = await backend.newStore()
    const migrations = sql.id(store.schema, 'store_migration')
    const { rows } = await sql<{ name: string }>`DELETE FROM ${migrations} WHERE name = (SELECT max(name) FROM ${migrations}) RETURNING name`.execute(store.db)
    const error = await failureOf(store.assertMigrated())
    expect(isDurableError(error, 'NOT_MIGRATED')).toBe(true)
    expect((error as Error).message).toContain(`not applied: ${rows[0]!.name}`)
    await sql`INSERT INTO ${migrations} (name, timestamp) VALUES (${rows[0]!.name}, ${new Date().toISOString()})`.execute(store.db)
    await sql`INSERT INTO ${migrations} (name, timestamp) VALUES ('9999-from-a-newer-release', '2040-01-01')`.execute(store.db)
    await store.assertMigrated()
  })

  it('turns a missing table or column of the store into NOT_MIGRATED, keeping the driver error as cause', async () => {
    const store = await backend.newStore({ migrate: false })
    const error = await failureOf(store.getRun('r1'))
    expect(isDurableError(error, 'NOT_MIGRATED')).toBe(true)
    expect((error as Error).cause).toMatchObject({ code: '42P01' })
    await store.migrate()
    await sql`ALTER TABLE ${sql.id(store.schema, 'runs')} DROP COLUMN cancel_request`.execute(store.db)
    expect(await failureOf(store.getRun('r1'))).toMatchObject({ code: 'NOT_MIGRATED', cause: { code: '42703' } })
  })

  it("leaves a missing table outside the store alone: a transactional step's own SQL", async () => {
    const store = await backend.newStore()
    const error = await failureOf(store.transaction((tx) => sql`SELECT * FROM orders_that_do_not_exist`.execute(tx)))
    expect(isDurableError(error)).toBe(false)
    expect(error).toMatchObject({ code: '42P01' })
  })
})

describe('migrate() on a pool of one connection', () => {
  it('does not wait for itself: the migration lock has a connection of its own', async () => {
    const database = await createTestDatabase('one_connection')
    const pool = new pg.Pool({ connectionString: database.url, max: 1 })
    try {
      const store = postgresStore({ pool })
      await store.migrate({ alongside: async () => void (await sql`SELECT 1`.execute(store.db)) })
      await store.assertMigrated()
      await store.close()
    } finally {
      await pool.end()
      await database.drop()
    }
  })
})
