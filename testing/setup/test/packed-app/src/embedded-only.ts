// A program that imports @durable/core and @durable/embedded only (compiled on its own):
// ctx.tx is still the store's Kysely transaction, and the workflow runs in process.
import { defineWorkflow } from '@durable/core'
import { embeddedDurable, type PostgresTransaction } from '@durable/embedded'
import { sql } from 'kysely'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

const greet = defineWorkflow<{ name: string }>('greet').step(
  'hello',
  async (ctx) => {
    const typed: Equal<typeof ctx.tx, PostgresTransaction | undefined> = true
    const { rows } = await sql<{ greeting: string }>`select 'hello ' || ${ctx.input.name} as greeting`.execute(ctx.tx!)
    return { typed, greeting: rows[0]?.greeting ?? null }
  },
  { transactional: true },
)

const durable = embeddedDurable({ workflows: [greet], dataDir: 'memory://' })
const worker = durable.worker()
await worker.start()
const run = await durable.waitFor(await durable.start(greet, { name: 'ada' }), { timeout: '30s' })
await worker.stop()
await durable.close()
console.log(JSON.stringify({ status: run.status, results: run.results }))
