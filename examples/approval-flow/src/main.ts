/**
 * `npm run example:approval`: three expense claims on the embedded database. The manager (a
 * timer standing in for a person clicking a button; from another process you would use
 * `durable signal <runId> decision '{"approved":true,"by":"ada"}'` against a Postgres server)
 * approves one, rejects one, and forgets the third, which times out.
 */
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { embeddedDurable } from '@durable/embedded'
import { expenseApproval } from './expense-approval.js'

const dataDir = fileURLToPath(new URL('../.durable-approval', import.meta.url))
rmSync(dataDir, { recursive: true, force: true })
rmSync(`${dataDir}.lock`, { force: true })

const workflow = expenseApproval({ reminderAfter: 1500, decisionTimeout: 4000 })
const durable = embeddedDurable({ workflows: [workflow], dataDir, pollIntervalMs: 100 })
await durable.worker({ concurrency: 4, reconcileIntervalMs: 300 }).start()

console.log('durable example: expense approvals waiting for a signal (embedded database)\n')
const claims = [
  { claimId: 'claim-1', amount: 120 },
  { claimId: 'claim-2', amount: 900 },
  { claimId: 'claim-3', amount: 45 },
]
const [approved, rejected, forgotten] = await Promise.all(claims.map((c) => durable.start(workflow, c, { idempotencyKey: c.claimId })))

// The first decision arrives before the run waits for it: it is kept and delivered at the wait.
await durable.signal(approved!, 'decision', { approved: true, by: 'ada' })
console.log('   manager  approves claim-1 early (kept until the run waits)')
setTimeout(() => {
  console.log('   manager  rejects claim-2')
  void durable.signal(rejected!, 'decision', { approved: false, by: 'grace' })
}, 2500)

const runs = await Promise.all([approved!, rejected!, forgotten!].map((id) => durable.waitFor(id, { timeout: '1m' })))
console.log('\nOutcome')
for (const run of runs) {
  const claim = (run.input as { claimId: string }).claimId
  const why = run.error ? ` (${run.error.step}: ${run.error.code ?? ''} ${run.error.message})` : ''
  console.log(`   ${claim.padEnd(8)} ${run.status}${why}`)
  const kinds = (await durable.journal(run.id)).map((e) => `${e.stepName}:${e.kind}`)
  console.log(`            ${kinds.join(' → ')}`)
}
await durable.close()
