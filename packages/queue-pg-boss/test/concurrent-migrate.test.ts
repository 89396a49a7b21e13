import { postgresStore } from '@durable/store-postgres'
import PgBoss from 'pg-boss'
import { describe, expect, it } from 'vitest'
import { raceMigrations } from '../../../testing/concurrent-migrate.ts'

describe('migrate() from many processes at once, with pg-boss', () => {
  // Before the migration lock, 3 rounds of 10 had processes failing with "deadlock detected".
  it('succeeds in all 4 processes, 10 rounds on a fresh database, and leaves the schema complete', async () => {
    const rounds = await raceMigrations('pg-boss', {
      rounds: 10,
      processes: 4,
      async check(url) {
        const store = postgresStore({ connectionString: url })
        const boss = new PgBoss({ connectionString: url, max: 1 })
        boss.on('error', () => {})
        try {
          await store.assertMigrated()
          await boss.start()
          expect(await boss.getQueue('durable-wake')).not.toBeNull()
        } finally {
          await boss.stop({ graceful: false })
          await store.close()
        }
      },
    })
    expect(rounds).toEqual(Array.from({ length: 10 }, () => ['migrated', 'migrated', 'migrated', 'migrated']))
  }, 240_000)
})
