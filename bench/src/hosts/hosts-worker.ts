/**
 * One worker of the `hosts` scenario, run inside a network namespace: `node dist/hosts/hosts-worker.js`
 * with DATABASE_URL (the database at the host end of its link) and CONCURRENCY. Prints `ready`
 * once it consumes; stops cleanly on SIGTERM.
 */
import { createDurable, silentLogger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { threeSteps } from './three-steps.js'

const url = process.env.DATABASE_URL
if (!url) throw new Error('DATABASE_URL is not set')
const store = postgresStore({ connectionString: url })
const durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [threeSteps], logger: silentLogger })
const worker = durable.worker({ concurrency: Number(process.env.CONCURRENCY ?? 8) })
await worker.start()
process.stdout.write(`ready ${worker.id}\n`)
process.once('SIGTERM', () => {
  void durable.close().then(() => process.exit(0))
})
