/**
 * One worker process of the soak: `node dist/worker-process.js` with DATABASE_URL (one host, or a
 * primary and its standby, which postgresStore follows through a failover), LEASE_MS and
 * CONCURRENCY in its environment. Prints `ready` once it consumes; logs warnings and errors as
 * JSON lines on stderr (the parent counts them and checks they hold no secret); stops cleanly on
 * SIGTERM. Any other exit — a crash — is a failure the parent reports.
 */
import { inspect } from 'node:util'
import { createDurable, type Logger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresPool, postgresStore } from '@durable/store-postgres'
import { Kysely, PostgresDialect } from 'kysely'
import { chaosWorkflow } from './chaos-workflow.js'

const url = required('DATABASE_URL')
// A multi-host DATABASE_URL (a primary and its standby) follows the primary through a failover.
const store = postgresStore({ connectionString: url })
// The traces' own pool: an idle connection broken by a restart must not crash the process.
const tracePool = postgresPool(url, { max: 4 })
tracePool.on('connect', (client) => client.on('error', () => {}))
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const traces = new Kysely<any>({ dialect: new PostgresDialect({ pool: tracePool }) })

const logger = jsonLinesLogger()
const durable = createDurable({
  store,
  queue: postgresQueue({ store, pollIntervalMs: 250, logger }),
  workflows: [chaosWorkflow(traces)],
  logger,
  leaseMs: Number(process.env.LEASE_MS ?? 2000),
})
const worker = durable.worker({ concurrency: Number(process.env.CONCURRENCY ?? 8), reconcileIntervalMs: 250, stopTimeoutMs: 2000 })
await worker.start()
process.stdout.write(`ready ${worker.id}\n`)

process.once('SIGTERM', () => {
  void (async () => {
    await durable.close()
    await traces.destroy()
    process.exit(0)
  })()
})

function jsonLinesLogger(): Logger {
  // The error in full, causes included: what a real logger would print, and where a leaked
  // secret would show.
  const line = (level: string) => (obj: object, msg?: string) => {
    const { err, ...rest } = obj as { err?: unknown }
    const code = (err as { code?: unknown } | undefined)?.code
    process.stderr.write(`${JSON.stringify({ level, msg, ...rest, code, err: err === undefined ? undefined : inspect(err, { depth: 5 }) })}\n`)
  }
  return { info: () => {}, warn: line('warn'), error: line('error') }
}

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
