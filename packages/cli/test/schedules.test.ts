import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { http, startDashboardProcess } from './dashboard-process.ts'
import { checkout, cli } from './helpers.ts'

let database: TestDatabase
let env: Record<string, string>
let runtime: Durable

beforeAll(async () => {
  database = await createTestDatabase('cli_schedules')
  env = { DATABASE_URL: database.url }
  const store = postgresStore({ connectionString: database.url })
  runtime = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 200 }), workflows: [checkout], logger: silentLogger })
  await runtime.migrate()
})
afterAll(async () => {
  await runtime?.close()
  await database?.drop()
})

describe('durable schedules', () => {
  it('says there are none before a worker with schedules started', async () => {
    const { code, stdout, stderr } = await cli(['schedules'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toBe('no schedules: a worker stores them when it starts with createDurable({ schedules })\n')
    expect(JSON.parse((await cli(['schedules', '--json'], { env })).stdout)).toEqual({ schedules: [] })
  })

  it('lists what the workers stored: name, workflow, cron, next slot and last run', async () => {
    // A worker in another runtime (as in another process) keeps two schedules.
    const store = postgresStore({ connectionString: database.url })
    const app = createDurable({
      store,
      queue: postgresQueue({ store, pollIntervalMs: 200 }),
      workflows: [checkout],
      logger: silentLogger,
      schedules: [
        { name: 'nightly-report', workflow: checkout, cron: '0 3 * * *', timezone: 'Europe/Paris', input: () => ({ sku: 'R' }) },
        { name: 'restock', workflow: 'checkout', cron: '* * * * * *', input: (at) => ({ sku: at.toISOString() }) },
      ],
    })
    try {
      await app.worker().start()
      await expect.poll(async () => (await app.schedules()).find((s) => s.name === 'restock')?.lastRunId ?? null, { timeout: 20_000 }).not.toBeNull()
      const { code, stdout, stderr } = await cli(['schedules', '--json'], { env })
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
      const { schedules } = JSON.parse(stdout) as { schedules: Array<Record<string, string | null>> }
      expect(schedules.map((s) => Object.keys(s))).toEqual([
        ['name', 'workflowName', 'cron', 'nextAt', 'lastRunId'],
        ['name', 'workflowName', 'cron', 'nextAt', 'lastRunId'],
      ])
      expect(schedules[0]).toMatchObject({ name: 'nightly-report', workflowName: 'checkout', cron: '0 3 * * *', lastRunId: null })
      // 03:00 in Paris is 01:00 or 02:00 UTC, depending on the time of year.
      expect(schedules[0]!.nextAt).toMatch(/T0[12]:00:00\.000Z$/)
      const restock = schedules[1]!
      expect(restock).toMatchObject({ name: 'restock', workflowName: 'checkout', cron: '* * * * * *' })
      expect((await runtime.find(restock.lastRunId!)).workflowName).toBe('checkout')

      const table = await cli(['schedules'], { env })
      expect(table.code).toBe(0)
      const lines = table.stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(/^NAME\s+WORKFLOW\s+CRON\s+NEXT\s+LAST RUN$/)
      expect(lines[1]).toMatch(/^nightly-report\s+checkout\s+0 3 \* \* \*\s+\S+T0[12]:00:00\.000Z$/)
      expect(lines[2]).toMatch(/^restock\s+checkout\s+\* \* \* \* \* \*\s+\S+Z\s+[0-9A-Z]{26}$/)

      // The dashboard lists them too, from the same document, with a panel of its own.
      const dashboard = await startDashboardProcess([], env)
      try {
        const answer = await http(dashboard.url, 'GET', '/api/schedules')
        expect(answer.status).toBe(200)
        expect((answer.json.schedules as Array<{ name: string }>).map((s) => s.name)).toEqual(['nightly-report', 'restock'])
        expect(answer.json.schedules[0]).toEqual(schedules[0])
        // The page's one script has the schedules panel, which reads that endpoint.
        const script = (await http(dashboard.url, 'GET', '/assets/app.js')).text
        expect(script).toContain('/api/schedules')
        expect(script).toContain('Schedules')
      } finally {
        await dashboard.stop()
      }
    } finally {
      await app.close()
    }
  })
})
