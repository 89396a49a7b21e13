// Runs the workflows on the embedded default and, given DATABASE_URL, on PostgreSQL; prints one
// JSON line per backend. Every published package is imported, so each one's types are checked.
import type { Workflow } from '@durable/core'
import { embeddedDurable } from '@durable/embedded'
import { createDurable, type Durable } from '@durable/provider'
import type { QueueAdapter } from '@durable/queue-adapter'
import { bullmqQueue } from '@durable/queue-bullmq'
import { graphileWorkerQueue } from '@durable/queue-graphile-worker'
import { pgBossQueue } from '@durable/queue-pg-boss'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { testDurable } from '@durable/testing'
import { booking, ledger } from './workflows.js'

const adapters: unknown[] = [bullmqQueue, graphileWorkerQueue, pgBossQueue]
const workflows: Workflow[] = [booking, ledger]

async function runBoth(durable: Durable): Promise<Record<string, unknown>> {
  await durable.migrate()
  const worker = durable.worker()
  await worker.start()
  try {
    const bookingRun = await durable.waitFor(await durable.start(booking, { guest: 'ada', at: new Date('2030-05-06T07:08:09.000Z') }), { timeout: '30s' })
    const ledgerRun = await durable.waitFor(await durable.start(ledger, { account: 'acc-1' }), { timeout: '30s' })
    return { booking: { status: bookingRun.status, results: bookingRun.results }, ledger: { status: ledgerRun.status, results: ledgerRun.results } }
  } finally {
    await worker.stop()
    await durable.close()
  }
}

const out: Record<string, unknown> = { adapters: adapters.map((adapter) => typeof adapter) }
out.embedded = await runBoth(embeddedDurable({ workflows, dataDir: 'memory://' }))
if (process.env.DATABASE_URL !== undefined) {
  const store = postgresStore({ connectionString: process.env.DATABASE_URL })
  const queue: QueueAdapter = postgresQueue({ store })
  out.postgres = await runBoth(createDurable({ store, queue, workflows }))
}
const t = testDurable({ workflows: [booking] })
const tested = await t.waitFor(await t.start(booking, { guest: 'bo', at: new Date('2030-05-06T07:08:09.000Z') }))
await t.close()
out.testing = { status: tested.status, results: tested.results }
console.log(JSON.stringify(out))
