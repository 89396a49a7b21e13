/** `@durable/queue-bullmq` on the BullMQ installed in this app: the conformance suite, then a workflow. */
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { bullmqQueue } from '@durable/queue-bullmq'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { createDatabase, expectFlakyCompletes } from './setup.ts'

const port = Number(process.env.DURABLE_TEST_REDIS_PORT)
if (!Number.isInteger(port)) throw new Error('DURABLE_TEST_REDIS_PORT is not set: run this app from testing/setup/test/node-matrix.test.ts')
const connection = { host: '127.0.0.1', port }
// Several runs of this app share one redis-server: each keeps to its own key prefix.
const prefix = `engine-${process.pid}`
let database: Awaited<ReturnType<typeof createDatabase>>
let store: PostgresStore
let counter = 0
const logger = { warn: () => {} } // the handler-failure case warns on purpose

beforeAll(async () => {
  database = await createDatabase('engine_bullmq')
  store = postgresStore({ connectionString: database.url })
})
afterAll(async () => {
  await store?.close()
  await database?.drop()
})

testQueueAdapter('bullmqQueue', async () => {
  const adapter = bullmqQueue({ connection, prefix, queueName: `conformance-${counter++}`, logger })
  await adapter.migrate()
  return { adapter }
})

describe('a workflow on BullMQ', () => {
  it('retries a step and completes', async () => {
    const queue = bullmqQueue({ connection, prefix, logger })
    try {
      await expectFlakyCompletes(store, queue)
    } finally {
      await queue.close()
    }
  })
})
