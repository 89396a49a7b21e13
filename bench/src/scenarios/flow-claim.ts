/**
 * What flow control's claim costs. One worker of concurrency 8 drains a backlog of N runs of the
 * same 3-step no-op workflow, three ways:
 * - `unkeyed`: no flow control — the claim is one statement;
 * - `keyed`: `concurrency: { limit: 8, key }`, the runs spread over 8 keys. The limit cannot bind
 *   (one worker of 8 slots never holds more than 8 runs of a key), so every claim takes the
 *   advisory-lock transaction and none is refused: keyed ÷ unkeyed is what flow control costs
 *   a run that it does not hold back (the claim, and the probe for held-back runs at its end);
 * - `limited`: `concurrency: { limit: 4 }` without a key — one limit for the workflow, half the
 *   worker's slots: the limit's effect (runs held back, then woken as slots free).
 * The backlog is started beforehand with no worker running (not timed; a run started next to a
 * free slot would skip the claim). Each repetition drains unkeyed and keyed back to back, in
 * alternating order, so that the load of a shared machine falls on both alike; the ratio is the
 * median of the repetitions' ratios. `limited`, slow and not part of that ratio, follows them in
 * the first `settings.repetitions` repetitions only.
 */
import { defineWorkflow, type FlowControlOptions, type Workflow } from '@durable/core'
import { progress } from '../progress.js'
import type { Settings } from '../settings.js'
import { median, round, until } from '../stats.js'
import { openDurable, type Backend } from '../systems/durable-instance.js'

const STEPS = 3
const CONCURRENCY = 8
const KEYS = 8
/** The keyed variant's limit: at least the worker's concurrency, so that it never binds. */
const KEYED_LIMIT = CONCURRENCY
/** The limited variant's one limit: half the worker's slots. */
const BINDING_LIMIT = 4
/** Runs per `startMany` call while the backlog is built. */
const BACKLOG_BATCH = 1000

export type FlowVariant = 'unkeyed' | 'keyed' | 'limited'
const VARIANTS: readonly FlowVariant[] = ['unkeyed', 'keyed', 'limited']

export interface FlowDrainFigures {
  /** The workflow's flow-control option, as written in its definition. */
  readonly flowControl: string
  /** Medians over the repetitions. */
  readonly runsPerSecond: number
  readonly stepsPerSecond: number
  /** runs/s of each repetition. */
  readonly repetitions: readonly number[]
}

export interface FlowClaimFigures {
  readonly runs: number
  readonly workerConcurrency: number
  readonly unkeyed: FlowDrainFigures
  readonly keyed: FlowDrainFigures
  readonly limited: FlowDrainFigures
  /** keyed ÷ unkeyed runs/s: the median of the repetitions' ratios; below 1 is slower. */
  readonly keyedToUnkeyed: number
  /** The ratio of each repetition (its two drains back to back). */
  readonly keyedToUnkeyedByRepetition: readonly number[]
  /** limited ÷ unkeyed runs/s (medians): what a limit of half the slots leaves. */
  readonly limitedToUnkeyed: number
}

export async function measureFlowClaim(backend: Backend, adminUrl: string, settings: Settings): Promise<FlowClaimFigures> {
  const runs = settings.flowRuns
  const finished: Record<FlowVariant, number> = { unkeyed: 0, keyed: 0, limited: 0 }
  const last: Record<FlowVariant, string> = { unkeyed: '', keyed: '', limited: '' }
  const threeSteps = (variant: FlowVariant, options: FlowControlOptions<{ i: number }>) =>
    defineWorkflow<{ i: number }>(`three-steps-${variant}`, options)
      .step('a', async () => 1)
      .step('b', async () => 2)
      .step('c', async (ctx) => {
        finished[variant]++
        last[variant] = ctx.runId
        return 3
      })
  const workflows: Record<FlowVariant, Workflow> = {
    unkeyed: threeSteps('unkeyed', {}),
    keyed: threeSteps('keyed', { concurrency: { limit: KEYED_LIMIT, key: (input) => `k${input.i % KEYS}` } }),
    limited: threeSteps('limited', { concurrency: { limit: BINDING_LIMIT } }),
  }
  const flowControl: Record<FlowVariant, string> = {
    unkeyed: 'none',
    keyed: `concurrency: { limit: ${KEYED_LIMIT}, key: 1 of ${KEYS} }`,
    limited: `concurrency: { limit: ${BINDING_LIMIT} } (no key)`,
  }
  const instance = await openDurable(backend, adminUrl, 'bench_flow', Object.values(workflows))
  const { durable } = instance

  /** Starts `n` runs of the variant with no worker running, then times one worker draining them. */
  const drain = async (variant: FlowVariant, n: number): Promise<number> => {
    for (let from = 0; from < n; from += BACKLOG_BATCH) {
      const items = Array.from({ length: Math.min(BACKLOG_BATCH, n - from) }, (_, j) => ({ input: { i: from + j } }))
      await durable.startMany(workflows[variant], items)
    }
    finished[variant] = 0
    const worker = durable.worker({ concurrency: CONCURRENCY })
    const started = performance.now()
    await worker.start()
    await until(() => finished[variant] >= n, `${n} runs (${variant})`)
    // The last step to run is the last to commit, give or take the commits still in flight.
    await durable.waitFor(last[variant])
    const seconds = (performance.now() - started) / 1000
    await worker.stop()
    return n / seconds
  }

  try {
    for (const variant of VARIANTS) await drain(variant, 100) // warm-up
    const repetitions = settings.flowRepetitions
    progress(`${backend}: flow claim: ${repetitions} repetition(s) of ${runs} runs, c=${CONCURRENCY}, unkeyed and keyed (then limited)…`)
    const reps: Record<FlowVariant, number[]> = { unkeyed: [], keyed: [], limited: [] }
    const ratios: number[] = []
    for (let rep = 0; rep < repetitions; rep++) {
      const pair: FlowVariant[] = rep % 2 === 0 ? ['unkeyed', 'keyed'] : ['keyed', 'unkeyed']
      for (const variant of pair) reps[variant].push(round(await drain(variant, runs), 0))
      const [u, k] = [reps.unkeyed[rep]!, reps.keyed[rep]!]
      ratios.push(round(k / u))
      let line = `runs/s unkeyed ${u}, keyed ${k} (${ratios[rep]}×)`
      if (rep < settings.repetitions) {
        reps.limited.push(round(await drain('limited', runs), 0))
        line += `, limited ${reps.limited.at(-1)}`
      }
      progress(`${backend}: flow claim, repetition ${rep + 1}/${repetitions}: ${line}`)
    }
    const figures = (variant: FlowVariant): FlowDrainFigures => {
      const runsPerSecond = median(reps[variant])
      return { flowControl: flowControl[variant], runsPerSecond, stepsPerSecond: runsPerSecond * STEPS, repetitions: reps[variant] }
    }
    const [unkeyed, keyed, limited] = VARIANTS.map(figures) as [FlowDrainFigures, FlowDrainFigures, FlowDrainFigures]
    return {
      runs,
      workerConcurrency: CONCURRENCY,
      unkeyed,
      keyed,
      limited,
      keyedToUnkeyed: median(ratios),
      keyedToUnkeyedByRepetition: ratios,
      limitedToUnkeyed: round(limited.runsPerSecond / unkeyed.runsPerSecond),
    }
  } finally {
    await instance.close()
  }
}
