/**
 * The `hosts` scenario: workers on 1, 2 and 4 hosts — network namespaces, each reaching the
 * benchmark's PostgreSQL over its own veth link — at concurrency 8 each, drain a backlog of the
 * three-step workflow. Reports steps/s per host count (next to the floor, in the same run), and
 * what the server did meanwhile: its CPU, what its backends waited for, which locks were waited for.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { NetworkHost } from '@durable/test-setup'
import pg from 'pg'
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { round } from '../stats.js'
import { openDurable } from '../systems/durable-instance.js'
import { cpuTicks, sampleServer, type ServerSample } from './server-sampler.js'
import { threeSteps } from './three-steps.js'

export const HOST_COUNTS = [1, 2, 4] as const
export const HOSTS_CONCURRENCY = 8
const WORKER = join(fileURLToPath(new URL('.', import.meta.url)), 'hosts-worker.js')
const DATABASE = 'bench_hosts'

export interface HostsRow {
  readonly hosts: number
  readonly concurrency: number
  readonly runs: number
  readonly seconds: number
  readonly stepsPerSecond: number
  /** CPU seconds per second of the worker processes, summed. */
  readonly workerCpuCores: number
  readonly server: ServerSample
}

export async function measureHosts(adminUrl: string, network: readonly NetworkHost[], settings: Settings): Promise<HostsRow[]> {
  const rows: HostsRow[] = []
  for (const hosts of HOST_COUNTS) {
    const instance = await openDurable('server', adminUrl, DATABASE, [threeSteps])
    const url = adminUrl.replace(/\/[^/]*$/, `/${DATABASE}`)
    const workers: ChildProcess[] = []
    try {
      for (const host of network.slice(0, hosts)) workers.push(await startWorker(host, url.replace('@127.0.0.1:', `@${host.hostAddress}:`)))
      const { durable } = instance
      const items = (n: number) => Array.from({ length: n }, (_, i) => ({ input: { i } }))
      // Warm-up: connections opened, statements prepared, on every host.
      await durable.startMany(threeSteps, items(50 * hosts))
      await drained(url, 50 * hosts, 60_000)
      const runs = settings.hostsRuns
      const sampler = await sampleServer(adminUrl, DATABASE)
      const cpuBefore = await cpuTicks(workers.map((w) => w.pid!))
      const started = performance.now()
      await durable.startMany(threeSteps, items(runs))
      await drained(url, 50 * hosts + runs, 300_000)
      const seconds = (performance.now() - started) / 1000
      const workerCpuCores = round((await cpuTicks(workers.map((w) => w.pid!))) - cpuBefore, 0) / 100 / seconds
      const server = await sampler.stop()
      const row: HostsRow = {
        hosts,
        concurrency: HOSTS_CONCURRENCY,
        runs,
        seconds: round(seconds, 2),
        stepsPerSecond: round((runs * 3) / seconds, 0),
        workerCpuCores: round(workerCpuCores, 2),
        server,
      }
      rows.push(row)
      progress(
        `hosts: ${hosts} × c=${HOSTS_CONCURRENCY}: ${row.stepsPerSecond} steps/s; server CPU ${server.cpuCores} cores; waits ${server.waits
          .slice(0, 3)
          .map(([w, s]) => `${w} ${Math.round(s * 100)}%`)
          .join(', ')}`,
      )
    } finally {
      await Promise.all(workers.map(stopWorker))
      await instance.close()
    }
  }
  return rows
}

/** Starts one worker in `host`'s namespace; resolves once it consumes. */
async function startWorker(host: NetworkHost, url: string): Promise<ChildProcess> {
  const { file, args } = host.command([process.execPath, WORKER])
  const child = spawn(file, args, { env: { ...process.env, DATABASE_URL: url, CONCURRENCY: String(HOSTS_CONCURRENCY) }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-2000)))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve())
    child.once('exit', (code) => reject(new Error(`a hosts worker exited with ${code} before it was ready:\n${stderr}`)))
  })
  return child
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await gone
  clearTimeout(timer)
}

/** Waits until `total` runs completed. */
async function drained(url: string, total: number, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM durable.runs WHERE status = 'completed'`)
      if (rows[0]!.n >= total) return
      if (Date.now() > deadline) throw new Error(`hosts: ${rows[0]!.n} of ${total} runs completed after ${timeoutMs / 1000} s`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  } finally {
    await client.end()
  }
}

/** The scenario's table: steps/s per host count next to the floor at 8 clients, and the server's figures. */
export function hostsTable(rows: readonly HostsRow[], floorAt8: number | undefined): string {
  const lines = [
    '',
    `hosts (network namespaces, c=${HOSTS_CONCURRENCY} each; floor at 8 clients: ${floorAt8 ?? '?'} tx/s)`,
    '  hosts  steps/s  ×floor  per host  server CPU  worker CPU  active backends  top waits (share of active backends)        lock waits (samples)',
  ]
  for (const row of rows) {
    const waits = row.server.waits
      .slice(0, 3)
      .map(([w, s]) => `${w} ${Math.round(s * 100)}%`)
      .join(', ')
    const locks =
      Object.entries(row.server.lockWaits)
        .map(([kind, n]) => `${kind} ${n}/${row.server.samples}`)
        .join(', ') || 'none'
    lines.push(
      `  ${String(row.hosts).padStart(5)}  ${String(row.stepsPerSecond).padStart(7)}  ${floorAt8 ? (row.stepsPerSecond / floorAt8).toFixed(2).padStart(6) : '     ?'}  ${String(Math.round(row.stepsPerSecond / row.hosts)).padStart(8)}  ${row.server.cpuCores.toFixed(2).padStart(10)}  ${row.workerCpuCores.toFixed(2).padStart(10)}  ${String(row.server.activeBackends).padStart(15)}  ${waits.padEnd(42)}  ${locks}`,
    )
  }
  return lines.join('\n')
}
