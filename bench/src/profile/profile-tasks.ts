/**
 * The profiler's work, on the server backend:
 * - `startBacklog` (in the parent): starts N runs of the three-step workflow, so that the child
 *   profiled with `--cpu-prof` does nothing but drain them;
 * - `profileDrain` (in that child): a worker of concurrency 1 (or 8) drains the backlog, every
 *   statement counted;
 * - `traceOneRun` (in another child): the statements of one run at low load, start() to
 *   waitFor(), timed in order; then the query plans of the hot statements.
 */
import { defineWorkflow } from '@durable/core'
import { progress } from '../progress.js'
import { until, withCallers } from '../stats.js'
import { openDurable } from '../systems/durable-instance.js'
import { QueryLog, type TraceEntry } from './query-log.js'

const DATABASE = 'bench_profile'
let finished = 0
const threeSteps = defineWorkflow<{ i: number }>('three-steps')
  .step('a', async () => 1)
  .step('b', async () => 2)
  .step('c', async () => void finished++)

export async function startBacklog(adminUrl: string, runs: number): Promise<Record<string, number>> {
  const log = new QueryLog()
  log.install()
  const instance = await openDurable('server', adminUrl, DATABASE, [threeSteps])
  log.reset()
  await withCallers(runs, 8, (i) => instance.durable.start(threeSteps, { i }))
  const counts = Object.fromEntries(log.counts)
  await instance.close()
  return counts
}

export interface DrainFigures {
  readonly runs: number
  readonly seconds: number
  readonly stepsPerSecond: number
  readonly counts: Record<string, number>
}

export async function profileDrain(adminUrl: string, runs: number, concurrency: number): Promise<DrainFigures> {
  const log = new QueryLog()
  log.install()
  const instance = await openDurable('server', adminUrl, DATABASE, [threeSteps], true)
  log.reset()
  const worker = instance.durable.worker({ concurrency })
  const started = performance.now()
  await worker.start()
  await until(() => finished >= runs, `${runs} runs drained`)
  const seconds = (performance.now() - started) / 1000
  const counts = Object.fromEntries(log.counts)
  await worker.stop()
  await instance.close()
  return { runs, seconds, stepsPerSecond: Math.round((runs * 3) / seconds), counts }
}

export interface TraceFigures {
  /** The run whose start→completed time was the median of those traced. */
  readonly totalMs: number
  readonly entries: readonly TraceEntry[]
  readonly plans: Record<string, { sql: string; plan: string }>
}

export async function traceOneRun(adminUrl: string): Promise<TraceFigures> {
  const log = new QueryLog()
  log.install()
  const instance = await openDurable('server', adminUrl, 'bench_trace', [threeSteps])
  const { durable } = instance
  const worker = durable.worker({ concurrency: 1 })
  await worker.start()
  const once = async () => {
    log.trace = []
    const started = performance.now()
    await durable.waitFor(await durable.start(threeSteps, { i: 0 }), { timeout: '1m' })
    const totalMs = performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 20)) // late statements (next-job query) land in the trace
    const entries = log.trace.map((e) => ({ ...e, startMs: e.startMs - started }))
    log.trace = undefined
    return { totalMs, entries }
  }
  for (let i = 0; i < 20; i++) await once()
  const traced = []
  for (let i = 0; i < 21; i++) traced.push(await once())
  traced.sort((a, b) => a.totalMs - b.totalMs)
  const median = traced[10]!
  progress(`trace: median run ${median.totalMs.toFixed(2)} ms, ${median.entries.length} statements`)
  // Plans: one more run, each hot autocommit statement EXPLAINed (and rolled back) just before it runs.
  log.explainOn(adminUrl.replace(/\/[^/]*$/, '/bench_trace'))
  await durable.waitFor(await durable.start(threeSteps, { i: 1 }), { timeout: '1m' })
  await log.explained()
  await worker.stop()
  await instance.close()
  return { totalMs: median.totalMs, entries: median.entries.sort((a, b) => a.startMs - b.startMs), plans: Object.fromEntries(log.plans) }
}
