import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { postgresStore } from '@durable/store-postgres'
import { describe, expect, it } from 'vitest'
import { raceMigrations } from '../../../testing/concurrent-migrate.ts'

describe('migrate() from many processes at once, with Graphile Worker', () => {
  it('succeeds in all 4 processes, 10 rounds on a fresh database, and leaves the schema complete', async () => {
    const rounds = await raceMigrations('graphile-worker', {
      rounds: 10,
      processes: 4,
      async check(url) {
        const store = postgresStore({ connectionString: url })
        const queue = graphileWorkerQueue({ connectionString: url, logger: { warn() {} } })
        try {
          await store.assertMigrated()
          await queue.dispatch({ runId: 'r' }) // add_job exists
        } finally {
          await queue.close()
          await store.close()
        }
      },
    })
    expect(rounds).toEqual(Array.from({ length: 10 }, () => ['migrated', 'migrated', 'migrated', 'migrated']))
  }, 240_000)
})
