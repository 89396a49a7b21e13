import type { ChildProcess } from 'node:child_process'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// @ts-expect-error plain ESM fixture shared with the worker processes
import { beat } from './fixtures/schedule-workflows.mjs'
import { killHard, spawnWorker } from './worker-processes.ts'

const script = new URL('./fixtures/schedule-worker.mjs', import.meta.url).pathname
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** SIGTERMs a worker process (it stops, handing its leases back) and waits until it is gone. */
async function stopGently(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await gone
}

describe('a one-second schedule across three worker processes, one SIGKILLed and one restarted', () => {
  let database: TestDatabase
  let store: PostgresStore
  let durable: Durable
  const children: ChildProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('schedules')
    store = postgresStore({ connectionString: database.url })
    // This process defines no schedule: it only reads what the workers did, and finishes runs.
    durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [beat], logger: silentLogger })
    await durable.migrate()
  })
  afterAll(async () => {
    await Promise.all(children.map(killHard))
    await durable.close()
    await database.drop()
  })

  it('starts one run per slot: none missed, none twice', async () => {
    const env = { DATABASE_URL: database.url }
    const logs: string[] = []
    const spawn = async () => {
      const child = await spawnWorker(env, script)
      child.stderr!.on('data', (chunk) => logs.push(...String(chunk).split('\n').filter(Boolean)))
      return child
    }
    children.push(...(await Promise.all([spawn(), spawn(), spawn()])))
    const [a, b, c] = children as [ChildProcess, ChildProcess, ChildProcess]
    await pause(7_000)
    await killHard(a)
    await pause(7_000)
    await stopGently(b)
    children.push(await spawn())
    await pause(7_000)
    await Promise.all([stopGently(c), stopGently(children[3]!)])

    // Workers that lose the race to a slot roll back quietly.
    expect(logs.filter((line) => line.includes('schedule'))).toEqual([])

    // What the schedule state says, and the runs: one per slot, every second from the first on.
    const [state] = await store.listSchedules()
    const { runs } = await durable.list({ workflowName: 'beat', limit: 1000 })
    const slots = runs.map((run) => (run.input as { slot: string }).slot).sort()
    expect(slots.length).toBeGreaterThanOrEqual(15)
    expect(new Set(slots).size).toBe(slots.length)
    const first = Date.parse(slots[0]!)
    expect(slots).toEqual(slots.map((_, i) => new Date(first + i * 1000).toISOString()))
    expect(state).toMatchObject({ name: 'heartbeat', workflowName: 'beat', cron: '* * * * * *', catchUp: 'all', lastSlotAt: new Date(slots.at(-1)!) })
    const last = runs.find((run) => (run.input as { slot: string }).slot === slots.at(-1))
    expect(state!.lastRunId).toBe(last!.id)
    for (const run of runs) expect((await store.getRun(run.id))?.idempotencyKey).toBe(`schedule:heartbeat:${(run.input as { slot: string }).slot}`)

    // Every run started goes on to its end (a worker here, without schedules, finishes the rest).
    await durable.worker({ reconcileIntervalMs: 200 }).start()
    for (const run of runs) expect((await durable.waitFor(run.id, { timeout: '30s' })).result).toEqual({ echo: (run.input as { slot: string }).slot })
  }, 90_000)
})
