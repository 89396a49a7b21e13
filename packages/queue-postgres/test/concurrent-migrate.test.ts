import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { raceMigrations } from '../../../testing/concurrent-migrate.ts'

describe('migrate() from many processes at once, with the default queue', () => {
  it('succeeds in all 4 processes, 10 rounds on a fresh database, and leaves the schema complete', async () => {
    const rounds = await raceMigrations('postgres', {
      rounds: 10,
      processes: 4,
      async check(url) {
        const store = postgresStore({ connectionString: url })
        try {
          await store.assertMigrated()
          await postgresQueue({ store }).dispatch({ runId: 'r' })
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM durable.jobs`.execute(store.db)
          expect(rows[0]!.n).toBe(1)
        } finally {
          await store.close()
        }
      },
    })
    expect(rounds).toEqual(Array.from({ length: 10 }, () => ['migrated', 'migrated', 'migrated', 'migrated']))
  }, 240_000)
})
