/**
 * `npm run shard-model -w @durable/bench [-- --from bench/results/latest.json]`: the model of
 * docs/scaling.md — durable's throughput against the number of PostgreSQL shards, runs spread by
 * a hash of their run id. A model, not an engine: each shard is one database whose throughput
 * against its worker hosts follows the Universal Scalability Law fitted to the `hosts` bench
 * scenario; the hash's imbalance is simulated (the hottest shard saturates first); what stays
 * global (idempotency keys, concurrency keys, schedules) is one more database that every shard's
 * starts and claims share.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'

/** Steps/s of one database against n worker hosts (c=8 each), as measured. */
export interface HostsPoint {
  readonly hosts: number
  readonly stepsPerSecond: number
}

/** Universal Scalability Law: X(n) = λn / (1 + σ(n−1) + κn(n−1)). */
export interface UslFit {
  readonly lambda: number
  readonly sigma: number
  readonly kappa: number
}

/**
 * Fits λ, σ, κ by least squares on the USL's linear form: with λ = X(1), n/(X(n)/λ) − 1 =
 * σ(n−1) + κn(n−1) for n > 1. σ (contention) and κ (coherency) are kept ≥ 0.
 */
export function fitUsl(points: readonly HostsPoint[]): UslFit {
  const one = points.find((p) => p.hosts === 1)
  if (one === undefined) throw new Error('the fit needs the 1-host point')
  const lambda = one.stepsPerSecond
  const rows = points.filter((p) => p.hosts > 1).map((p) => ({ a: p.hosts - 1, b: p.hosts * (p.hosts - 1), y: p.hosts / (p.stepsPerSecond / lambda) - 1 }))
  // Normal equations of y = σa + κb.
  const [saa, sab, sbb, say, sby] = rows.reduce((s, r) => [s[0]! + r.a * r.a, s[1]! + r.a * r.b, s[2]! + r.b * r.b, s[3]! + r.a * r.y, s[4]! + r.b * r.y], [0, 0, 0, 0, 0])
  const det = saa * sbb - sab * sab
  let sigma = det === 0 ? say / saa : (say * sbb - sby * sab) / det
  let kappa = det === 0 ? 0 : (saa * sby - sab * say) / det
  if (kappa < 0) {
    kappa = 0
    sigma = say / saa
  }
  if (sigma < 0) {
    sigma = 0
    kappa = Math.max(0, sby / sbb)
  }
  return { lambda, sigma, kappa }
}

export const usl = (fit: UslFit, n: number): number => (fit.lambda * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1))

/** The host count at which one database peaks, and its peak: adding hosts past it lowers throughput. */
export function uslPeak(fit: UslFit): { hosts: number; stepsPerSecond: number } {
  const hosts = fit.kappa > 0 ? Math.sqrt((1 - fit.sigma) / fit.kappa) : Number.POSITIVE_INFINITY
  return { hosts, stepsPerSecond: Number.isFinite(hosts) ? usl(fit, hosts) : fit.lambda / fit.sigma }
}

/**
 * Simulated: `activeRuns` runs with fresh ULID-like ids hashed onto `shards` (as a router would,
 * by the first 8 bytes of SHA-256 of the id); the hottest shard's share over the mean share.
 * Averaged over `trials`.
 */
export function hashImbalance(shards: number, activeRuns: number, trials = 20): number {
  if (shards === 1) return 1
  const key = `${shards}/${activeRuns}/${trials}`
  const known = imbalances.get(key)
  if (known !== undefined) return known
  let sum = 0
  for (let t = 0; t < trials; t++) {
    const load = new Array<number>(shards).fill(0)
    for (let i = 0; i < activeRuns; i++) {
      const id = randomBytes(16)
      const slot = Number(createHash('sha256').update(id).digest().readBigUInt64BE(0) % BigInt(shards))
      load[slot]!++
    }
    sum += Math.max(...load) / (activeRuns / shards)
  }
  imbalances.set(key, sum / trials)
  return sum / trials
}

/** One simulation per shard count, so that a table's cells agree. */
const imbalances = new Map<string, number>()

/** What a workload sends to the global database, per step. */
export interface Workload {
  readonly name: string
  /** Global writes per step: an idempotency-key insert per start, a concurrency-key claim and release… */
  readonly globalOpsPerStep: number
  /** Share of steps that also write on another shard (a child run, a signal to a run elsewhere). */
  readonly crossShard: number
}

export interface ModelInput {
  readonly fit: UslFit
  /** Worker hosts per shard (each c=8). */
  readonly hostsPerShard: number
  /** Transactions/s the global database takes (the floor at 8 clients: one small write each). */
  readonly globalCapacity: number
  readonly activeRuns: number
}

/** Steps/s over `shards` shards for `workload`, and which limit binds. */
export function throughput(input: ModelInput, workload: Workload, shards: number): { stepsPerSecond: number; bound: 'shards' | 'global database' } {
  // A cross-shard step costs its own shard one commit and another shard one more.
  const crossCost = 1 + workload.crossShard * ((shards - 1) / shards)
  const shardsBound = (shards * usl(input.fit, input.hostsPerShard)) / crossCost / hashImbalance(shards, input.activeRuns)
  const globalBound = workload.globalOpsPerStep > 0 ? input.globalCapacity / workload.globalOpsPerStep : Number.POSITIVE_INFINITY
  return shardsBound <= globalBound ? { stepsPerSecond: shardsBound, bound: 'shards' } : { stepsPerSecond: globalBound, bound: 'global database' }
}

/** Measured by `npm run bench -- --quick --only hosts` (2026-12-03, 2-core VM, fsync on). */
export const MEASURED = {
  hosts: [
    { hosts: 1, stepsPerSecond: 524 },
    { hosts: 2, stepsPerSecond: 757 },
    { hosts: 4, stepsPerSecond: 989 },
  ] as HostsPoint[],
  floorAt8: 3978,
}

export const WORKLOADS: readonly Workload[] = [
  { name: 'no global keys, no children', globalOpsPerStep: 0, crossShard: 0 },
  { name: 'idempotency key per start (3-step runs)', globalOpsPerStep: 1 / 3, crossShard: 0 },
  { name: '+ concurrency key (claim + release) per run', globalOpsPerStep: 3 / 3, crossShard: 0 },
  { name: '+ a child run elsewhere per run', globalOpsPerStep: 3 / 3, crossShard: 1 / 3 },
]

async function main(): Promise<void> {
  const from = process.argv.indexOf('--from')
  let measured = MEASURED
  if (from > 0) {
    const results = JSON.parse(await readFile(process.argv[from + 1]!, 'utf8')) as { hosts?: HostsPoint[]; floor?: Array<{ clients: number; txPerSecond: number }> }
    if (!Array.isArray(results.hosts)) throw new Error(`${process.argv[from + 1]} has no hosts figures: run npm run bench -- --only hosts`)
    measured = { hosts: results.hosts, floorAt8: results.floor?.find((f) => f.clients === 8)?.txPerSecond ?? MEASURED.floorAt8 }
  }
  const fit = fitUsl(measured.hosts)
  const peak = uslPeak(fit)
  const hostsPerShard = Math.max(1, Math.min(8, Math.floor(peak.hosts)))
  const input: ModelInput = { fit, hostsPerShard, globalCapacity: measured.floorAt8, activeRuns: 10_000 }
  console.log(
    `one database: λ ${fit.lambda.toFixed(0)} steps/s, σ ${fit.sigma.toFixed(3)}, κ ${fit.kappa.toFixed(4)}; peak ${peak.stepsPerSecond.toFixed(0)} steps/s at ${peak.hosts.toFixed(1)} hosts`,
  )
  console.log(
    `each shard gets ${hostsPerShard} worker hosts (${usl(fit, hostsPerShard).toFixed(0)} steps/s); global database ${measured.floorAt8} tx/s; 10,000 active runs hashed by run id\n`,
  )
  const shardCounts = [1, 2, 4, 8, 16, 32]
  console.log(`| shards | hash imbalance (max/mean) | ${WORKLOADS.map((w) => w.name).join(' | ')} |`)
  console.log(`| ---: | ---: | ${WORKLOADS.map(() => '---:').join(' | ')} |`)
  for (const shards of shardCounts) {
    const cells = WORKLOADS.map((w) => {
      const { stepsPerSecond, bound } = throughput(input, w, shards)
      return `${Math.round(stepsPerSecond).toLocaleString('en-US')}${bound === 'global database' ? ' (global)' : ''}`
    })
    console.log(`| ${shards} | ${hashImbalance(shards, input.activeRuns).toFixed(3)} | ${cells.join(' | ')} |`)
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
