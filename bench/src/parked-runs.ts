/**
 * `npm run bench -- --parked`: parks N sleeping runs and shows that a parked run costs a row, not
 * worker memory, and how late timers fire. Starts N runs of start → sleep → step with a worker
 * running, measures the worker's heap/RSS once they are all parked, then lets them wake.
 */
import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import pg from 'pg'

export interface ParkedFigures {
  runs: number
  rssBeforeMb: number
  rssParkedMb: number
  heapBeforeMb: number
  heapParkedMb: number
  lateP50Ms: number
  lateMaxMs: number
  allCompleted: boolean
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10

export async function measureParkedRuns(adminUrl: string, runs: number, progress: (text: string) => void): Promise<ParkedFigures> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query('drop database if exists bench_parked with (force)')
  await admin.query('create database bench_parked')
  await admin.end()
  // Long enough for every start to land before the first wake-up (about 3 ms a start here).
  const sleepMs = 8_000 + runs * 5
  const wokeAt = new Map<string, number>()
  const napper = defineWorkflow<{ wakeAt: number }>('napper')
    .sleep('nap', (ctx) => new Date(ctx.input.wakeAt))
    .step('woke', async (ctx) => {
      wokeAt.set(ctx.runId, Date.now() - ctx.input.wakeAt)
      return null
    })
  const store = postgresStore({ connectionString: adminUrl.replace(/\/postgres$/, '/bench_parked'), poolSize: 12 })
  const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 1000 }), workflows: [napper], logger: silentLogger })
  await durable.migrate()
  const worker = durable.worker({ concurrency: 8 })
  await worker.start()
  global.gc?.()
  const before = process.memoryUsage()
  const wakeAt = Date.now() + sleepMs
  for (let i = 0; i < runs; i++) {
    await durable.start(napper, { wakeAt })
    if ((i + 1) % 2000 === 0) progress(`started ${i + 1}/${runs}`)
  }
  // Wait until every run is parked (waiting), then measure the worker process.
  // One counting query, not one waitFor per run: 10,000 pollers would measure the pollers.
  const counter = new pg.Client({ connectionString: adminUrl.replace(/\/postgres$/, '/bench_parked') })
  counter.on('error', () => {})
  await counter.connect()
  const count = async (status: string) => (await counter.query<{ n: number }>(`select count(*)::int as n from durable.runs where status = $1`, [status])).rows[0]?.n ?? 0
  while ((await count('waiting')) + (await count('completed')) < runs) await new Promise((r) => setTimeout(r, 200))
  global.gc?.()
  const parked = process.memoryUsage()
  progress(`all ${runs} runs parked; waiting for their timers (${Math.round((wakeAt - Date.now()) / 1000)} s)…`)
  const deadline = Date.now() + sleepMs + 600_000
  while ((await count('completed')) < runs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
  const allCompleted = (await count('completed')) === runs
  await counter.end()
  await durable.close()
  const late = [...wokeAt.values()].sort((a, b) => a - b)
  return {
    runs,
    rssBeforeMb: mb(before.rss),
    rssParkedMb: mb(parked.rss),
    heapBeforeMb: mb(before.heapUsed),
    heapParkedMb: mb(parked.heapUsed),
    lateP50Ms: late[Math.floor(late.length / 2)] ?? 0,
    lateMaxMs: late.at(-1) ?? 0,
    allCompleted,
  }
}
