/** Test helpers: a fresh real-PostgreSQL database per test file, and an in-memory PGlite. */
import pg from 'pg'
import { inject } from 'vitest'

export interface TestDatabase {
  /** Connection string of the new database. */
  readonly url: string
  /** Drops the database (closing any connection left to it). */
  drop(): Promise<void>
}

let counter = 0

/** Creates an empty database on the test server. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl')
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`.toLowerCase().replace(/[^a-z0-9_]/g, '_')
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = adminUrl.replace(/\/postgres$/, `/${name}`)
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl })
      await c.connect()
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      } finally {
        await c.end()
      }
    },
  }
}
