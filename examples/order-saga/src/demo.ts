/**
 * `npm run demo`: five orders through reserve → charge → ship on the embedded database. One
 * card is flaky (retried with durable backoff), one address is refused (the saga compensates in
 * reverse), and the worker is killed with SIGKILL in the middle of a step; a new worker process
 * resumes every run from its journal without re-running a finished step.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('..', import.meta.url))
const dataDir = `${here}.durable-demo`
const effectsLog = `${here}.durable-demo-effects.log`
const workerScript = fileURLToPath(new URL('./worker.js', import.meta.url))

rmSync(dataDir, { recursive: true, force: true })
rmSync(`${dataDir}.lock`, { force: true })
rmSync(effectsLog, { force: true })

console.log('durable demo: an order saga on the embedded database (PGlite, no server)')
console.log(`data: ${dataDir}\n`)

console.log('▶ worker 1 starts five orders')
const first = startWorker()
await new Promise<void>((resolve) => {
  first.stdout!.on('data', (chunk: Buffer) => {
    if (!String(chunk).includes('@@slow-ship-started')) return
    // Let the other orders move on a little, then pull the plug in the middle of the step.
    setTimeout(() => {
      console.log(`\n💥 kill -9 worker 1 (pid ${first.pid}) while order-3 is inside step "ship"\n`)
      first.kill('SIGKILL')
      resolve()
    }, 700)
  })
})
await exited(first)

console.log('▶ worker 2 opens the same database and resumes from the journal')
const second = startWorker()
const code = await exited(second)
if (code !== 0) {
  console.error(`worker 2 exited with ${code}`)
  process.exit(1)
}

const tries = existsSync(effectsLog)
  ? readFileSync(effectsLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { order: string; step: string })
  : []
const count = (order: string, step: string) => tries.filter((t) => t.order === order && t.step === step).length
console.log('\nHandler runs (from the side-effect log)')
for (const order of ['order-1', 'order-2', 'order-3', 'order-4', 'order-5']) {
  const steps = ['reserve', 'charge', 'ship', 'refund', 'release stock'].filter((s) => count(order, s) > 0)
  console.log(`   ${order.padEnd(9)} ${steps.map((s) => `${s}×${count(order, s)}`).join('  ')}`)
}
console.log('\norder-3: "reserve" and "charge" finished before the kill and ran once; "ship" was interrupted and ran again.')
console.log('Done.')

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [workerScript, dataDir, effectsLog], { stdio: ['ignore', 'pipe', 'inherit'] })
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = String(chunk)
      .split('\n')
      .filter((l) => l.length > 0 && !l.startsWith('@@'))
      .join('\n')
    if (text.length > 0) console.log(text)
  })
  return child
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}
