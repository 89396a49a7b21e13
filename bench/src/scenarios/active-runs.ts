/**
 * Worker memory with N active runs: N runs of the three-step workflow are started (pending: all
 * of them active, none finished), then one worker of concurrency 8 drains them while the
 * process's RSS is sampled. Runs in its own child process, so nothing else inflates the RSS.
 */
import { defineWorkflow } from '@durable/core'
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { mb, round, until, withCallers } from '../stats.js'
import { openDurable, type Backend } from '../systems/durable-instance.js'

export interface ActiveRunsFigures {
  readonly runs: number
  readonly workerConcurrency: number
  /** Idle worker process, after a warm-up and a GC. */
  readonly rssBaselineMb: number
  /** Once the N runs were started. */
  readonly rssStartedMb: number
  /** Highest RSS sampled (every 50 ms) while the worker drained the runs. */
  readonly rssPeakMb: number
  readonly heapPeakMb: number
  readonly drainSeconds: number
}

const CONCURRENCY = 8

export async function measureActiveRuns(backend: Backend, adminUrl: string, settings: Settings): Promise<ActiveRunsFigures> {
  const runs = settings.activeRuns
  let finished = 0
  const threeSteps = defineWorkflow<{ i: number }>('three-steps')
    .step('a', async () => 1)
    .step('b', async () => 2)
    .step('c', async () => void finished++)
  const instance = await openDurable(backend, adminUrl, 'bench_active', [threeSteps])
  const { durable } = instance
  try {
    const warmup = durable.worker({ concurrency: CONCURRENCY })
    await warmup.start()
    await withCallers(100, 8, (i) => durable.start(threeSteps, { i }))
    await until(() => finished >= 100, 'warm-up runs')
    await warmup.stop()
    global.gc?.()
    const baseline = process.memoryUsage()

    await withCallers(runs, 8, (i) => durable.start(threeSteps, { i }))
    const started = process.memoryUsage()
    progress(`${backend}: ${runs} active runs started; draining with a worker of concurrency ${CONCURRENCY}…`)
    finished = 0
    let peakRss = started.rss
    let peakHeap = started.heapUsed
    const sampler = setInterval(() => {
      const now = process.memoryUsage()
      peakRss = Math.max(peakRss, now.rss)
      peakHeap = Math.max(peakHeap, now.heapUsed)
    }, 50)
    const worker = durable.worker({ concurrency: CONCURRENCY })
    const drainStart = performance.now()
    await worker.start()
    await until(() => finished >= runs, `${runs} active runs`, 900_000, 20)
    const drainSeconds = (performance.now() - drainStart) / 1000
    clearInterval(sampler)
    await worker.stop()
    return {
      runs,
      workerConcurrency: CONCURRENCY,
      rssBaselineMb: mb(baseline.rss),
      rssStartedMb: mb(started.rss),
      rssPeakMb: mb(peakRss),
      heapPeakMb: mb(peakHeap),
      drainSeconds: round(drainSeconds, 1),
    }
  } finally {
    await instance.close()
  }
}
