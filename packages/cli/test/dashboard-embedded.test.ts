import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedDurable } from '@durable/embedded'
import { silentLogger } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { http, startDashboardProcess } from './dashboard-process.ts'
import { checkout, cli, finishRuns, saga } from './helpers.ts'

let root: string
let dataDir: string
let ids: string[]

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'durable-dashboard-'))
  dataDir = join(root, '.durable')
  const durable = embeddedDurable({ workflows: [checkout, saga], dataDir, logger: silentLogger, pollIntervalMs: 100 })
  try {
    await durable.worker({ concurrency: 2, reconcileIntervalMs: 300 }).start()
    ids = await finishRuns(durable, [() => durable.start(checkout, { sku: 'E1' }), () => durable.start(saga, { orderId: 'e-1' })])
  } finally {
    await durable.close()
  }
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('durable dashboard on the embedded data directory', () => {
  it('serves the runs of --data-dir, and lets the directory go when stopped', async () => {
    const dashboard = await startDashboardProcess(['--data-dir', dataDir], {})
    try {
      const list = await http(dashboard.url, 'GET', '/api/runs')
      expect(list.json.runs.map((run: { id: string; status: string }) => [run.id, run.status])).toEqual([
        [ids[1], 'failed'],
        [ids[0], 'completed'],
      ])
      const shown = await http(dashboard.url, 'GET', `/api/runs/${ids[1]}`)
      expect(shown.json.timeline.rows.map((row: { stepKey: string; kind: string; compensation: boolean }) => [row.stepKey, row.kind, row.compensation])).toEqual([
        ['reserve', 'step_completed', false],
        ['ship', 'step_failed', false],
        ['reserve', 'compensated', true],
      ])
      expect(shown.json.pendingSignals).toEqual([])
      expect((await http(dashboard.url, 'GET', '/api/stats')).json).toMatchObject({ byStatus: { completed: 1, failed: 1, waiting: 0 }, total: 2, due: 0 })
    } finally {
      expect(await dashboard.stop()).toBe(0)
    }
    // Stopped cleanly: the data directory is free for the next process.
    expect((await cli(['runs', 'list', '--data-dir', dataDir])).code).toBe(0)
  })

  it('does not create a database it is pointed at by mistake', async () => {
    const missing = join(root, 'elsewhere')
    const { code, stdout, stderr } = await cli(['dashboard', '--data-dir', missing])
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' })
    expect(stderr).toBe(
      `durable: no embedded database at ${missing}: set DATABASE_URL (or --database-url) to read a PostgreSQL server, pass --data-dir, or run "durable migrate" to create one here\n`,
    )
  })
})
