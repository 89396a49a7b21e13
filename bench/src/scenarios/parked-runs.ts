/**
 * A parked run costs a row, not worker memory, and wakes on time. Parks N runs of sleep → step
 * with a worker running and measures the worker process (a child process of its own, so nothing
 * else inflates it) before and after; then lets the timers fire, spread over a window, so that
 * lateness shows the wake-up mechanism (NOTIFY, polling as the bound) rather than the throughput
 * needed to drain every run at the same instant.
 */
import { defineWorkflow } from '@durable/core'
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { mb, quantile, round, until, withCallers } from '../stats.js'
import { openDurable, pollIntervalMs, type Backend } from '../systems/durable-instance.js'

export interface ParkedFigures {
  readonly runs: number
  readonly rssBeforeMb: number
  readonly rssParkedMb: number
  readonly rssDeltaMb: number
  readonly heapBeforeMb: number
  readonly heapParkedMb: number
  /** Wake-ups spread evenly over this window. */
  readonly wakeWindowMs: number
  /** Runs that were woken before every run was parked (the start estimate was short). */
  readonly wokeBeforeAllParked: number
  /** Runs in status `waiting` when the memory was measured (counted just after). */
  readonly parkedAtMeasure: number
  /** How late the step after the sleep ran, after the run's due time. */
  readonly lateP50Ms: number
  readonly lateP99Ms: number
  readonly lateMaxMs: number
  /** The backend's poll interval: the bound on lateness when a NOTIFY is missed. */
  readonly pollIntervalMs: number
  readonly allCompleted: boolean
}

/** Wake-ups per second: well below what a worker of concurrency 8 completes. */
const WAKES_PER_SECOND = 200

export async function measureParkedRuns(backend: Backend, adminUrl: string, settings: Settings): Promise<ParkedFigures> {
  const runs = settings.parkedRuns
  const late: number[] = []
  let sleepsComputed = 0
  const napper = defineWorkflow<{ wakeAt: number }>('napper')
    .sleep('nap', (ctx) => {
      sleepsComputed++
      return new Date(ctx.input.wakeAt)
    })
    .step('woke', async (ctx) => {
      late.push(Date.now() - ctx.input.wakeAt)
      return null
    })
  const instance = await openDurable(backend, adminUrl, 'bench_parked', [napper])
  const { durable } = instance
  const worker = durable.worker({ concurrency: 8 })
  await worker.start()
  try {
    // A rehearsal of the same size — N runs parked briefly, then woken — before the baseline:
    // starting and parking N runs grows pools and the allocator to a high-water mark that RSS
    // keeps; the delta after it is what parked runs retain, not the work of starting them.
    await withCallers(runs, 8, () => durable.start(napper, { wakeAt: Date.now() + 1000 }))
    await until(() => late.length >= runs, 'the rehearsal runs', 600_000, 100)
    progress(`${backend}: parked runs: rehearsal of ${runs} runs done`)
    late.length = 0
    sleepsComputed = 0
    global.gc?.()
    const before = process.memoryUsage()

    // Every run must be parked before the first wakes: allow ~4 ms a start (PGlite: ~3), plus a margin.
    const firstWakeAt = Date.now() + 5_000 + runs * 4
    const wakeWindowMs = Math.round((runs / WAKES_PER_SECOND) * 1000)
    await withCallers(runs, 8, async (i) => {
      await durable.start(napper, { wakeAt: firstWakeAt + Math.floor((i * wakeWindowMs) / runs) })
      if ((i + 1) % 2000 === 0) progress(`${backend}: parked runs: started ${i + 1}/${runs}`)
    })
    // The worker computes each run's wake-up time as it parks it; a moment later every park has
    // committed. Counted in process: listing 10,000 runs here would inflate what is measured.
    await until(() => sleepsComputed + late.length >= runs, 'every run parked', 600_000, 100)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const wokeBeforeAllParked = late.length
    global.gc?.()
    const parked = process.memoryUsage()
    const parkedAtMeasure = await countWaiting()
    progress(
      `${backend}: all ${runs} runs parked; RSS ${mb(before.rss)} → ${mb(parked.rss)} MB; timers fire in ${Math.round((firstWakeAt - Date.now()) / 1000)} s over ${wakeWindowMs / 1000} s`,
    )
    let allCompleted = true
    await until(() => late.length >= runs, 'every run woken', firstWakeAt - Date.now() + wakeWindowMs + 300_000, 100).catch(() => {
      allCompleted = false
    })
    return {
      runs,
      rssBeforeMb: mb(before.rss),
      rssParkedMb: mb(parked.rss),
      rssDeltaMb: round(mb(parked.rss) - mb(before.rss), 1),
      heapBeforeMb: mb(before.heapUsed),
      heapParkedMb: mb(parked.heapUsed),
      wakeWindowMs,
      wokeBeforeAllParked,
      parkedAtMeasure,
      lateP50Ms: quantile(late, 0.5),
      lateP99Ms: quantile(late, 0.99),
      lateMaxMs: quantile(late, 1),
      pollIntervalMs: pollIntervalMs(backend),
      allCompleted,
    }
  } finally {
    await worker.stop()
    await instance.close()
  }

  /** Runs waiting, through list() pages of 1,000. */
  async function countWaiting(): Promise<number> {
    let count = 0
    let cursor: string | undefined
    do {
      const page = await durable.list({ workflowName: 'napper', status: 'waiting', limit: 1000, ...(cursor ? { cursor } : {}) })
      count += page.runs.length
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return count
  }
}
