/**
 * Is a step's cost flat in workflow length? Runs a short workflow (10 no-op steps) several times
 * and a long one (1,000 steps) once, one run at a time, and compares the time per step.
 *
 * Two measures: step-to-step (from the first handler call to the last, over steps − 1: commits
 * only, no start or claim) — the strict one, which an O(n) step would fail — and wall time per
 * step (start() to waitFor(), over steps), which the short run's start overhead inflates.
 */
import { defineWorkflow, type Workflow } from '@durable/core'
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { median, round } from '../stats.js'
import { openDurable, type Backend } from '../systems/durable-instance.js'

export interface FlatCostFigures {
  readonly shortSteps: number
  readonly longSteps: number
  /** Median over the short runs; the long run's own figure. */
  readonly shortStepToStepMs: number
  readonly longStepToStepMs: number
  /** long ÷ short, step-to-step: the target is ≤ 1.3. */
  readonly stepToStepRatio: number
  readonly shortWallPerStepMs: number
  readonly longWallPerStepMs: number
  readonly wallRatio: number
  /** Step-to-step time of the long run's first and last tenth: growth within one run. */
  readonly longFirstTenthMs: number
  readonly longLastTenthMs: number
}

export async function measureFlatCost(backend: Backend, adminUrl: string, settings: Settings): Promise<FlatCostFigures> {
  const stamps = new Map<string, number[]>()
  const stamp = (runId: string) => {
    const list = stamps.get(runId) ?? []
    list.push(performance.now())
    stamps.set(runId, list)
  }
  const short = chain('short', settings.flatShortSteps, stamp)
  const long = chain('long', settings.flatLongSteps, stamp)
  const instance = await openDurable(backend, adminUrl, 'bench_flat', [short, long])
  const { durable } = instance
  const worker = durable.worker({ concurrency: 1 })
  await worker.start()
  const once = async (workflow: Workflow, steps: number) => {
    const started = performance.now()
    const runId = await durable.start(workflow, {})
    await durable.waitFor(runId, { timeout: '10m' })
    const wallMs = performance.now() - started
    const times = stamps.get(runId)!
    stamps.delete(runId)
    return { wallPerStep: wallMs / steps, stepToStep: (times.at(-1)! - times[0]!) / (steps - 1), times }
  }
  try {
    for (let i = 0; i < 3; i++) await once(short, settings.flatShortSteps) // warm-up
    const shorts = []
    for (let i = 0; i < settings.flatShortRuns; i++) shorts.push(await once(short, settings.flatShortSteps))
    progress(`${backend}: flat cost: ${settings.flatShortRuns} runs of ${settings.flatShortSteps} steps done; one run of ${settings.flatLongSteps} steps…`)
    const longRun = await once(long, settings.flatLongSteps)
    const tenth = Math.floor(settings.flatLongSteps / 10)
    const span = (from: number, to: number) => (longRun.times[to]! - longRun.times[from]!) / (to - from)
    const shortStepToStepMs = median(shorts.map((s) => s.stepToStep))
    const shortWallPerStepMs = median(shorts.map((s) => s.wallPerStep))
    return {
      shortSteps: settings.flatShortSteps,
      longSteps: settings.flatLongSteps,
      shortStepToStepMs: round(shortStepToStepMs, 3),
      longStepToStepMs: round(longRun.stepToStep, 3),
      stepToStepRatio: round(longRun.stepToStep / shortStepToStepMs),
      shortWallPerStepMs: round(shortWallPerStepMs, 3),
      longWallPerStepMs: round(longRun.wallPerStep, 3),
      wallRatio: round(longRun.wallPerStep / shortWallPerStepMs),
      longFirstTenthMs: round(span(0, tenth), 3),
      longLastTenthMs: round(span(settings.flatLongSteps - 1 - tenth, settings.flatLongSteps - 1), 3),
    }
  } finally {
    await worker.stop()
    await instance.close()
  }
}

/** A workflow of `steps` no-op steps whose handlers stamp the time. */
function chain(name: string, steps: number, stamp: (runId: string) => void): Workflow {
  // The builder's type grows with each step; a loop cannot express that, and needs no types.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let builder: any = defineWorkflow<Record<string, never>>(name)
  for (let i = 0; i < steps; i++) {
    builder = builder.step(`s${i}`, async (ctx: { runId: string }) => {
      stamp(ctx.runId)
      return null
    })
  }
  return builder as Workflow
}
