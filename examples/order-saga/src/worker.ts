/**
 * One worker process of the demo. It opens the embedded database, starts the orders (the
 * idempotency key makes that a no-op the second time), drives runs until all have ended, and
 * prints a summary. The demo kills the first one of these with SIGKILL.
 */
import { embeddedDurable } from '@durable/embedded'
import { orders, orderWorkflow } from './order-workflow.js'

const [dataDir, effectsLog] = [process.argv[2]!, process.argv[3]!]
const order = orderWorkflow(effectsLog)
const durable = embeddedDurable({ workflows: [order], dataDir, pollIntervalMs: 100 })
await durable.migrate()

const unfinished = (await durable.list({ limit: 100 })).runs.filter((r) => !['completed', 'failed', 'cancelled'].includes(r.status))
if (unfinished.length > 0) {
  console.log(`   found ${unfinished.length} unfinished run(s) in the journal: ${unfinished.map((r) => (r.input as { orderId: string }).orderId).join(', ')}`)
}
const runIds = await Promise.all(orders.map((o) => durable.start(order, o, { idempotencyKey: o.orderId })))
await durable.worker({ concurrency: 5, reconcileIntervalMs: 300 }).start()
const finished = await Promise.all(runIds.map((id) => durable.waitFor(id, { timeout: '2m' })))

console.log('\nSummary (from the journal)')
for (const run of finished) {
  const journal = await durable.journal(run.id)
  const orderId = (run.input as { orderId: string }).orderId
  const steps = journal.map((e) => `${e.stepName}${mark(e.kind)}${e.attempt > 1 ? `#${e.attempt}` : ''}`).join(' ')
  const why = run.error ? `  (${run.error.step}: ${run.error.message})` : ''
  console.log(`   ${orderId.padEnd(9)} ${run.status.padEnd(10)} ${steps}${why}`)
}
await durable.close()

function mark(kind: string): string {
  return { step_completed: '✓', step_failed: '✗', compensated: '↩', compensation_failed: '↩✗' }[kind] ?? `(${kind})`
}
