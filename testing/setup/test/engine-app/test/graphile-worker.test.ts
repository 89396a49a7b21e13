/** `@durable/queue-graphile-worker` on the Graphile Worker installed in this app: the conformance suite, then a workflow. */
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createDatabase, expectFlakyCompletes } from './setup.ts'

let database: Awaited<ReturnType<typeof createDatabase>>
let store: PostgresStore
let counter = 0
const logger = { warn: () => {} } // the handler-failure case warns on purpose

beforeAll(async () => {
  database = await createDatabase('engine_graphile')
  store = postgresStore({ connectionString: database.url })
  const migrator = graphileWorkerQueue({ connectionString: database.url, logger })
  await migrator.migrate()
  await migrator.close()
})
afterAll(async () => {
  await store?.close()
  await database?.drop()
})

testQueueAdapter('graphileWorkerQueue', async () => {
  // A runner only fetches the tasks it knows: one task per case keeps the cases apart.
  const adapter = graphileWorkerQueue({ connectionString: database.url, taskIdentifier: `conformance_${counter++}`, pollIntervalMs: 100, logger })
  return { adapter, withTransaction: (fn) => store.transaction(async (tx) => fn(tx)) }
})

describe('a workflow on Graphile Worker', () => {
  it('retries a step and completes', async () => {
    const queue = graphileWorkerQueue({ connectionString: database.url, logger })
    try {
      await expectFlakyCompletes(store, queue)
    } finally {
      await queue.close()
    }
  })
})
