/**
 * The scenarios every system runs, durable and peers alike: throughput of the three-step
 * workflow at each concurrency, start→completed latency at low load, and the start rate. A
 * warm-up first; each measurement repeated, the medians kept.
 */
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { median, quantile, round } from '../stats.js'
import type { ThreeStepSystem } from '../systems/three-step-system.js'

const STEPS = 3

export interface ThroughputFigures {
  readonly concurrency: number
  /** Median over the repetitions. */
  readonly stepsPerSecond: number
  readonly runsPerSecond: number
  readonly repetitions: readonly number[]
}

export interface LatencyFigures {
  /** Medians over the repetitions of each repetition's p50 and p99. */
  readonly p50Ms: number
  readonly p99Ms: number
  readonly samplesPerRepetition: number
  readonly repetitions: ReadonlyArray<{ p50Ms: number; p99Ms: number }>
}

export interface StartRateFigures {
  readonly runs: number
  readonly callers: number
  readonly runsPerSecond: number
}

export interface ThreeStepFigures {
  readonly name: string
  readonly method: string
  readonly throughput: readonly ThroughputFigures[]
  readonly latency: LatencyFigures
  readonly startRate?: StartRateFigures
}

export async function measureThreeStep(system: ThreeStepSystem, settings: Settings): Promise<ThreeStepFigures> {
  const label = system.name
  progress(`${label}: warm-up`)
  await system.throughput(settings.warmupRuns, Math.max(...settings.concurrencies))
  const throughput: ThroughputFigures[] = []
  for (const concurrency of settings.concurrencies) {
    const reps: number[] = []
    for (let rep = 1; rep <= settings.repetitions; rep++) {
      const seconds = await system.throughput(settings.throughputRuns, concurrency)
      reps.push(round((settings.throughputRuns * STEPS) / seconds, 0))
      progress(`${label}: c=${concurrency} repetition ${rep}/${settings.repetitions}: ${reps.at(-1)} steps/s`)
    }
    const stepsPerSecond = median(reps)
    throughput.push({ concurrency, stepsPerSecond, runsPerSecond: round(stepsPerSecond / STEPS, 0), repetitions: reps })
  }

  await system.beginLatency()
  for (let i = 0; i < 5; i++) await system.latencyOnce() // the idle worker's warm-up
  const latencyReps: Array<{ p50Ms: number; p99Ms: number }> = []
  for (let rep = 1; rep <= settings.repetitions; rep++) {
    const samples: number[] = []
    for (let i = 0; i < settings.latencySamples; i++) samples.push(await system.latencyOnce())
    latencyReps.push({ p50Ms: round(quantile(samples, 0.5)), p99Ms: round(quantile(samples, 0.99)) })
    progress(`${label}: latency repetition ${rep}/${settings.repetitions}: p50 ${latencyReps.at(-1)!.p50Ms} ms, p99 ${latencyReps.at(-1)!.p99Ms} ms`)
  }
  await system.endLatency()
  const latency: LatencyFigures = {
    p50Ms: median(latencyReps.map((r) => r.p50Ms)),
    p99Ms: median(latencyReps.map((r) => r.p99Ms)),
    samplesPerRepetition: settings.latencySamples,
    repetitions: latencyReps,
  }

  let startRate: StartRateFigures | undefined
  if (system.startRate) {
    // Last: the started runs stay queued, nothing works them.
    const seconds = await system.startRate(settings.startRuns, settings.startCallers)
    startRate = { runs: settings.startRuns, callers: settings.startCallers, runsPerSecond: round(settings.startRuns / seconds, 0) }
    progress(`${label}: ${settings.startRuns} starts from ${settings.startCallers} callers: ${startRate.runsPerSecond} runs/s`)
  }
  return { name: system.name, method: system.method, throughput, latency, ...(startRate ? { startRate } : {}) }
}
