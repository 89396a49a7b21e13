/**
 * What every engine's test file needs in the engine app: its own database on the test server
 * (`DURABLE_TEST_ADMIN_URL`), and a workflow that retries a step, to run on each engine.
 */
import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import type { QueueAdapter } from '@durable/queue-adapter'
import type { PostgresStore } from '@durable/store-postgres'
import pg from 'pg'
import { expect } from 'vitest'

/** The admin URL of the test server, given by the test that runs this app. */
function adminUrl(): string {
  const url = process.env.DURABLE_TEST_ADMIN_URL
  if (!url) throw new Error('DURABLE_TEST_ADMIN_URL is not set: run this app from testing/setup/test/node-matrix.test.ts')
  return url
}

/** Creates a new database; returns its URL and a function that drops it. */
export async function createDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = adminUrl()
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  await query(`CREATE DATABASE "${name}"`)
  return { url: admin.replace(/\/postgres$/, `/${name}`), drop: () => query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) }
}

/** Its step fails once, then succeeds: a retry that goes through the engine. */
export const flaky = defineWorkflow<{ name: string }>('flaky').step(
  'greet',
  async (ctx) => {
    if (ctx.attempt === 1) throw new Error('first attempt fails')
    return { greeting: `hello ${ctx.input.name}`, attempt: ctx.attempt }
  },
  { maxAttempts: 3, backoff: () => '50ms' },
)

/** Starts `flaky` on `durable` (with a running worker) and checks it completed on its retry. */
/** Runs `flaky` on `store` and `queue` with a worker of its own, and checks it retried and completed. */
export async function expectFlakyCompletes(store: PostgresStore, queue: QueueAdapter): Promise<void> {
  const durable = createDurable({ store, queue, workflows: [flaky], logger: silentLogger })
  await durable.migrate()
  const worker = durable.worker({ concurrency: 2 })
  await worker.start()
  try {
    await expectFlakyRun(durable)
  } finally {
    await worker.stop()
  }
}

async function expectFlakyRun(durable: ReturnType<typeof createDurable>): Promise<void> {
  const runId = await durable.start(flaky, { name: 'ada' })
  const done = await durable.waitFor(runId, { timeout: '30s' })
  expect(done.status).toBe('completed')
  expect(done.results).toEqual({ greet: { greeting: 'hello ada', attempt: 2 } })
  const journal = await durable.journal(runId)
  expect(journal.map((entry) => `${entry.kind}:${entry.stepKey}:${entry.attempt}`)).toEqual(['step_failed:greet:1', 'step_completed:greet:2'])
}
