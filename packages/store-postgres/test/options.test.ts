import { isDurableError } from '@durable/core'
import { postgresStore } from '@durable/store-postgres'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { insertRun } from './backends.ts'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase('options')
})
afterAll(async () => {
  await database.drop()
})

const secret = 'pa55w0rd-do-not-leak'
const connectionString = `postgres://admin:${secret}@db.example.com:5432/app`

/** Calls `create` and returns the error it throws. */
function thrown(create: () => unknown): unknown {
  try {
    create()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

describe('postgresStore options', () => {
  it.each(['bad-name', 'x; drop table runs', '', '1abc', 'a'.repeat(64), 'ünïcode', 'a b'])('refuses the schema name %j without echoing the connection string', (schema) => {
    const error = thrown(() => postgresStore({ connectionString, schema }))
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    const message = (error as Error).message
    expect(message).toContain(JSON.stringify(schema))
    expect(message).not.toContain(secret)
    expect(message).not.toContain('db.example.com')
  })

  it('accepts schema names up to 63 characters, mixed case included', () => {
    expect(postgresStore({ connectionString, schema: `A_${'b'.repeat(61)}` }).schema).toHaveLength(63)
    expect(postgresStore({ connectionString }).schema).toBe('durable')
  })

  it('needs exactly one way to connect', () => {
    const pool = new pg.Pool()
    for (const options of [{}, { connectionString, pool }, { connectionString: '' }, { connectionString, poolSize: 0 }]) {
      const error = thrown(() => postgresStore(options as never))
      expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
      expect((error as Error).message).not.toContain(secret)
    }
  })

  it('takes process.env.DATABASE_URL as it is under strict types, and says so when it is unset', () => {
    const env: { DATABASE_URL?: string } = {}
    const error = thrown(() => postgresStore({ connectionString: env.DATABASE_URL }))
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    expect((error as Error).message).toContain('is DATABASE_URL set?')
  })

  it('works on a pg Pool it does not own, and leaves it open', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 3 })
    const store = postgresStore({ pool, schema: 'from_pool' })
    await store.migrate()
    const runId = await insertRun(store)
    const payloads: string[] = []
    await store.listen('from_pool', (payload) => payloads.push(payload))
    await store.close()
    const { rows } = await pool.query('SELECT id FROM from_pool.runs')
    expect(rows).toEqual([{ id: runId }])
    await pool.end()
  })

  it('works on any Kysely Postgres instance, which it does not destroy, but cannot listen there', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 2 }) }) })
    const store = postgresStore({ db, schema: 'from_kysely' })
    await store.migrate()
    const runId = await insertRun(store)
    await expect(store.listen('x', () => {})).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('{ db }') })
    await store.close()
    expect(await db.selectFrom('from_kysely.runs').select('id').execute()).toEqual([{ id: runId }])
    await db.destroy()
  })

  it('ends the pool it created on close', async () => {
    const store = postgresStore({ connectionString: database.url, schema: 'owned', poolSize: 2 })
    await store.migrate()
    await store.close()
    await store.close() // idempotent
    await expect(store.getRun('x')).rejects.toThrow()
    await expect(store.listen('x', () => {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('reports a failed connection without the password', async () => {
    const url = new URL(database.url)
    url.password = secret
    url.username = 'nobody'
    const store = postgresStore({ connectionString: url.toString() })
    const error = await store.migrate().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(String((error as Error).message)).not.toContain(secret)
    await store.close()
  })
})
