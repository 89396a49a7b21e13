import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { http, startDashboardProcess } from './dashboard-process.ts'
import { durableBin as durableBinAt } from './helpers.ts'

// Opening a data directory (initdb on the first open) takes PGlite many seconds on a busy machine.
const durableBin = (args: string[], env: Record<string, string>) => durableBinAt(args, env, undefined, 120_000)

const appScript = fileURLToPath(new URL('./fixtures/live-app.mjs', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'durable-live-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface App {
  readonly child: ChildProcess
  /** The lines it printed, parsed, as they come. */
  readonly lines: unknown[]
  nextLine(): Promise<unknown>
  readonly exited: Promise<number | null>
}

const apps: App[] = []
afterEach(() => apps.splice(0).forEach((app) => app.child.kill('SIGKILL')))

/** Starts the fixture app on `dataDir` in a process of its own; resolves with the id of its waiting run. */
async function startApp(dataDir: string): Promise<App & { runId: string }> {
  const child = spawn(process.execPath, [appScript, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  const lines: unknown[] = []
  const waiters: Array<() => void> = []
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
    for (let end = stdout.indexOf('\n'); end >= 0; end = stdout.indexOf('\n')) {
      lines.push(JSON.parse(stdout.slice(0, end)))
      stdout = stdout.slice(end + 1)
      waiters.splice(0).forEach((wake) => wake())
    }
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let read = 0
  const nextLine = async (): Promise<unknown> => {
    while (lines.length <= read) {
      const more = new Promise<void>((resolve) => waiters.push(resolve))
      const gone = exited.then((code) => {
        throw new Error(`the app exited with ${code}; stderr: ${stderr}`)
      })
      await Promise.race([more, gone])
    }
    return lines[read++]
  }
  const app = { child, lines, nextLine, exited }
  apps.push(app)
  const { runId } = (await nextLine()) as { runId: string }
  return { ...app, runId }
}

describe('a running embedded app, watched from the CLI', { timeout: 300_000 }, () => {
  it('lists its runs, shows them in the dashboard, and signals them while it runs', async () => {
    const dataDir = join(root, 'watched', '.durable')
    const app = await startApp(dataDir)
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(true)

    const list = await durableBin(['runs', 'list', '--json', '--data-dir', dataDir], {})
    expect(list.stderr).toBe('')
    expect(JSON.parse(list.stdout).runs.map((run: { id: string; status: string }) => [run.id, run.status])).toEqual([[app.runId, 'waiting']])

    const dashboard = await startDashboardProcess(['--data-dir', dataDir], {})
    try {
      const runs = await http(dashboard.url, 'GET', '/api/runs')
      expect(runs.json.runs.map((run: { id: string; status: string }) => [run.id, run.status])).toEqual([[app.runId, 'waiting']])
      const shown = await http(dashboard.url, 'GET', `/api/runs/${app.runId}`)
      expect(shown.status).toBe(200)

      // Both at once: the dashboard keeps its connection while another command comes and goes.
      const signal = await durableBin(['signal', app.runId, 'approved', '{"by":"ada"}', '--data-dir', dataDir], {})
      expect({ code: signal.code, stderr: signal.stderr }).toEqual({ code: 0, stderr: '' })
      expect(await app.nextLine()).toEqual({ status: 'completed', result: { approved: { by: 'ada' }, ship: { shippedFor: 'ada' } } })
      expect(await app.exited).toBe(0)
      // The app is gone, and its socket with it: the page says so rather than failing blindly.
      const gone = await http(dashboard.url, 'GET', '/api/runs')
      expect({ status: gone.status, error: gone.json.error }).toEqual({
        status: 503,
        error: { code: 'CONNECTION_FAILED', message: `could not connect to the embedded database at ${dataDir}: its socket is gone (has the app that served it stopped?)` },
      })
    } finally {
      await dashboard.stop()
    }
    // The app took its socket with it; the directory opens directly again.
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(false)
    const after = await durableBin(['runs', 'list', '--json', '--data-dir', dataDir], {})
    expect(JSON.parse(after.stdout).runs.map((run: { status: string }) => run.status)).toEqual(['completed'])
  })

  it('is not stopped by the socket a killed app left behind', async () => {
    const dataDir = join(root, 'killed', '.durable')
    const killed = await startApp(dataDir)
    killed.child.kill('SIGKILL')
    await killed.exited
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(true)

    // Nobody serves it: the CLI opens the directory itself.
    const direct = await durableBin(['runs', 'list', '--json', '--data-dir', dataDir], {})
    expect(direct.stderr).toBe('')
    expect(JSON.parse(direct.stdout).runs.map((run: { id: string }) => run.id)).toEqual([killed.runId])

    // And the next app opens it, serves it, and the CLI watches through it.
    const next = await startApp(dataDir)
    const served = await durableBin(['runs', 'list', '--json', '--data-dir', dataDir], {})
    expect(
      JSON.parse(served.stdout)
        .runs.map((run: { id: string; status: string }) => [run.id, run.status])
        .sort(),
    ).toEqual(
      [
        [killed.runId, 'waiting'],
        [next.runId, 'waiting'],
      ].sort(),
    )
    for (const runId of [killed.runId, next.runId]) {
      expect((await durableBin(['signal', runId, 'approved', '{"by":"bo"}', '--data-dir', dataDir], {})).code).toBe(0)
    }
    expect(await next.nextLine()).toMatchObject({ status: 'completed' })
    expect(await next.exited).toBe(0)
  })

  it('says so when the app holding the directory does not serve it', async () => {
    const dataDir = join(root, 'unserved', '.durable')
    const app = await startApp(dataDir)
    // As an app of an older version would be: holding the lock, no socket.
    rmSync(join(dataDir, '.s.PGSQL.5432'))
    const refused = await durableBin(['runs', 'list', '--data-dir', dataDir], {})
    expect(refused.code).toBe(1)
    expect(refused.stderr).toBe(
      `durable: the embedded database at ${dataDir} is open in process ${app.child.pid}, which does not serve it to other processes (it is still starting, was created with serve: false, or runs a @durable/embedded older than this CLI): try again, upgrade @durable/embedded in the app, or stop it first\n`,
    )
  })
})
