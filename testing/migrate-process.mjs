// One process that migrates: `node migrate-process.mjs` with DATABASE_URL and QUEUE (postgres,
// pg-boss or graphile-worker). Waits for "go" on stdin, so that every process of a round starts
// migrating at the same moment; prints "migrated", or the error as one JSON line, and exits.
import { createDurable, silentLogger } from '@durable/provider'
import { postgresStore } from '@durable/store-postgres'

const url = process.env.DATABASE_URL
const store = postgresStore({ connectionString: url, poolSize: 2 })
let queue
let closeEngine = async () => {}
if (process.env.QUEUE === 'pg-boss') {
  const { default: PgBoss } = await import('pg-boss')
  const { pgBossQueue } = await import('@durable/queue-pg-boss')
  const boss = new PgBoss({ connectionString: url, max: 2 })
  boss.on('error', () => {})
  queue = pgBossQueue(boss)
  closeEngine = () => boss.stop({ graceful: false, wait: true })
} else if (process.env.QUEUE === 'graphile-worker') {
  const { graphileWorkerQueue } = await import('@durable/queue-graphile-worker')
  queue = graphileWorkerQueue({ connectionString: url, logger: { warn() {} } })
} else {
  const { postgresQueue } = await import('@durable/queue-postgres')
  queue = postgresQueue({ store })
}
const durable = createDurable({ store, queue, workflows: [], logger: silentLogger })
process.stdout.write('ready\n')
await new Promise((resolve) => process.stdin.once('data', resolve))
let failure
try {
  await durable.migrate()
} catch (error) {
  failure = error
}
await durable.close().catch(() => {})
await closeEngine().catch(() => {})
if (failure === undefined) {
  process.stdout.write('migrated\n')
} else {
  process.stdout.write(`${JSON.stringify({ code: failure.code, message: failure.message, cause: failure.cause?.message })}\n`)
}
process.exit(0)
