/**
 * store-postgres passes the RunStore conformance suite, on a real PostgreSQL server (the one the
 * root vitest setup starts) and on PGlite. Every case gets a schema of its own.
 */
import { PGlite } from '@electric-sql/pglite'
import { postgresStore } from '@durable/store-postgres'
import { testRunStore } from '@durable/testing/conformance'
import { afterAll, beforeAll } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

let database: TestDatabase | undefined
let pglite: PGlite | undefined
let schemas = 0

beforeAll(async () => {
  database = await createTestDatabase('conformance')
  pglite = new PGlite()
  await pglite.waitReady
})

afterAll(async () => {
  await pglite?.close()
  await database?.drop()
})

testRunStore('postgresStore on pg', async () => ({ store: postgresStore({ connectionString: database!.url, schema: `s${++schemas}`, poolSize: 4 }) }))

testRunStore('postgresStore on PGlite', async () => ({ store: postgresStore({ pglite: pglite!, schema: `s${++schemas}` }) }))
