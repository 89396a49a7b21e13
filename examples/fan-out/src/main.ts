/**
 * `npm run example:fan-out`: two orders on the embedded database. The first fans out to email,
 * SMS (busy once, retried) and the warehouse at the same time, then invoices in a child run.
 * The second is out of stock: the email in flight finishes, then it and the charge are undone.
 */
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { embeddedDurable } from '@durable/embedded'
import { fulfilment, invoice } from './fulfilment.js'

const dataDir = fileURLToPath(new URL('../.durable-fan-out', import.meta.url))
rmSync(dataDir, { recursive: true, force: true })
rmSync(`${dataDir}.lock`, { force: true })

const durable = embeddedDurable({ workflows: [fulfilment, invoice], dataDir, pollIntervalMs: 100 })
await durable.worker({ concurrency: 4, reconcileIntervalMs: 300 }).start()

console.log('durable example: parallel fan-out and a child workflow (embedded database)\n')
const orders = [
  { orderId: 'order-1', amount: 42 },
  { orderId: 'order-2', amount: 99, outOfStock: true },
]
const ids = await Promise.all(orders.map((o) => durable.start(fulfilment, o, { idempotencyKey: o.orderId })))
const runs = await Promise.all(ids.map((id) => durable.waitFor(id, { timeout: '1m' })))

console.log('\nOutcome')
for (const run of runs) {
  const order = (run.input as { orderId: string }).orderId
  const why = run.error ? ` (${run.error.step}: ${run.error.code ?? ''} ${run.error.message})` : ''
  console.log(`   ${order.padEnd(8)} ${run.status}${why}`)
  const journal = await durable.journal(run.id)
  console.log(`            ${journal.map((e) => `${e.stepKey}:${e.kind}${e.attempt > 1 ? `#${e.attempt}` : ''}`).join(' → ')}`)
  if (run.status !== 'completed') continue
  // The fan-out's wall time: from the charge to the last branch journaled.
  const charged = journal.find((e) => e.stepKey === 'charge')!
  const joined = journal.filter((e) => e.stepName === 'fan-out').at(-1)!
  const ms = joined.createdAt.getTime() - charged.createdAt.getTime()
  console.log(`            fan-out took ${ms} ms (one after another: email 400 + sms 150 + 200 backoff + 150 + warehouse 250 = 1150 ms)`)
  console.log(`            results: fan-out ${JSON.stringify(run.results['fan-out'])}, invoice ${JSON.stringify(run.results.invoice)}`)
}
await durable.close()
