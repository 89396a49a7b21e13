/**
 * `npm run chaos` — the bounded soak (300 runs, 3 workers, 4 kills, 1 restart, 2 connection
 * drops); `npm run chaos -- --long` — 3,000 runs, 4 workers, 24 kills, 3 restarts, 6 drops and
 * a PostgreSQL failover (a primary and a synchronous standby; the primary SIGKILLed, the standby
 * promoted).
 * Prints the figures and the invariants; exits 1 when an invariant was broken.
 */
import { LONG, SHORT } from './soak-config.js'
import { runSoak } from './soak.js'

const args = process.argv.slice(2)
const unknown = args.filter((arg) => arg !== '--long')
if (unknown.length > 0) {
  console.error(`usage: npm run chaos [-- --long]   (unknown: ${unknown.join(' ')})`)
  process.exit(2)
}
const config = args.includes('--long') ? LONG : SHORT
const started = Date.now()
const report = await runSoak(config, (line) => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`))
console.log(report.text)
console.log(report.ok ? '\nall invariants held' : '\nINVARIANTS BROKEN')
process.exit(report.ok ? 0 : 1)
