/**
 * Bulk start: one `durable.startMany()` of N runs of the three-step workflow — one transaction
 * with their first jobs — timed from the call to its resolving, with no worker running (the runs
 * stay pending). A warm-up call first; each measurement repeated, the median kept.
 */
import { defineWorkflow } from '@durable/core'
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { openDurable, type Backend } from '../systems/durable-instance.js'

export interface StartManyFigures {
  /** Runs per `startMany` call. */
  readonly runs: number
  /** Median over the repetitions. */
  readonly runsPerSecond: number
  readonly seconds: number
  readonly repetitions: readonly number[]
}

const WARMUP_RUNS = 100

export async function measureStartMany(backend: Backend, adminUrl: string, settings: Settings): Promise<StartManyFigures> {
  const runs = settings.startManyRuns
  const threeSteps = defineWorkflow<{ i: number }>('three-steps')
    .step('a', async () => 1)
    .step('b', async () => 2)
    .step('c', async () => 3)
  const instance = await openDurable(backend, adminUrl, 'bench_start_many', [threeSteps])
  const { durable } = instance
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ input: { i } }))
  try {
    await durable.startMany(threeSteps, items(WARMUP_RUNS))
    progress(`${backend}: startMany: timing ${settings.repetitions} call(s) of ${runs} runs each…`)
    const reps: number[] = []
    for (let rep = 1; rep <= settings.repetitions; rep++) {
      const batch = items(runs) // built before the clock starts: the caller's work, not durable's
      const started = performance.now()
      const ids = await durable.startMany(threeSteps, batch)
      const seconds = (performance.now() - started) / 1000
      if (ids.length !== runs) throw new Error(`startMany returned ${ids.length} ids for ${runs} items`)
      reps.push(round(runs / seconds, 0))
      progress(`${backend}: startMany of ${runs} runs, repetition ${rep}/${settings.repetitions}: ${reps.at(-1)} runs/s`)
    }
    const runsPerSecond = median(reps)
    return { runs, runsPerSecond, seconds: round(runs / runsPerSecond, 3), repetitions: reps }
  } finally {
    await instance.close()
  }
}
