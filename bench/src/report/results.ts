/**
 * The shape of `bench/results/latest.json`, and the derived figures: ratios to the floor and to
 * each peer, and the targets — measured, never asserted.
 */
import type { FloorFigures } from '../floor.js'
import type { ActiveRunsFigures } from '../scenarios/active-runs.js'
import type { FlatCostFigures } from '../scenarios/flat-cost.js'
import type { ParkedFigures } from '../scenarios/parked-runs.js'
import type { ThreeStepFigures } from '../scenarios/three-step.js'
import type { Settings } from '../settings.js'
import { round } from '../stats.js'
import type { Backend } from '../systems/durable-instance.js'
import type { SystemId } from '../task.js'

export interface SystemResult extends Partial<ThreeStepFigures> {
  readonly id: SystemId
  readonly peer: boolean
  /** Set when the system could not be measured: why. */
  readonly error?: string
  /** False when its child process had to be killed after the result (something was left open). */
  readonly exitedByItself: boolean
}

export type PerBackend<T> = Partial<Record<Backend, T | { error: string }>>

export interface BenchResults {
  readonly at: string
  readonly quick: boolean
  readonly machine: Readonly<Record<string, string | number>>
  readonly versions: Readonly<Record<string, string>>
  readonly server: { readonly flags: Readonly<Record<string, string>>; readonly settings: Readonly<Record<string, string>> }
  readonly settings: Settings
  readonly floor: readonly FloorFigures[]
  readonly systems: readonly SystemResult[]
  readonly flatCost: PerBackend<FlatCostFigures>
  readonly parked: PerBackend<ParkedFigures>
  readonly active: PerBackend<ActiveRunsFigures>
  readonly ratios: Readonly<Record<string, Ratios>>
  readonly targets: readonly Target[]
}

/** A durable system's figures over the floor's and each peer's. */
export interface Ratios {
  /** steps/s ÷ floor tx/s at the same client count, by concurrency. */
  readonly throughputToFloor: Readonly<Record<string, number>>
  /** starts/s ÷ floor tx/s at 8 clients. */
  readonly startRateToFloor?: number
  /** durable's steps/s ÷ the peer's, by peer and concurrency (> 1: durable is faster). */
  readonly throughputToPeers: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** durable's p50 ÷ the peer's (< 1: durable is faster). */
  readonly p50ToPeers: Readonly<Record<string, number>>
  /** durable's starts/s ÷ the peer's (> 1: durable is faster). */
  readonly startRateToPeers: Readonly<Record<string, number>>
}

export interface Target {
  readonly backend: Backend
  readonly target: string
  readonly measured: string
  /** null: reported, no threshold. */
  readonly met: boolean | null
}

const isFigures = <T>(value: T | { error: string } | undefined): value is T => value !== undefined && !('error' in (value as object))

export function ratiosOf(system: SystemResult, peers: readonly SystemResult[], floor: readonly FloorFigures[]): Ratios {
  const throughputToFloor: Record<string, number> = {}
  for (const t of system.throughput ?? []) {
    const f = floor.find((x) => x.clients === t.concurrency)
    if (f) throughputToFloor[`c${t.concurrency}`] = round(t.stepsPerSecond / f.txPerSecond)
  }
  const floor8 = floor.find((x) => x.clients === 8)
  const throughputToPeers: Record<string, Record<string, number>> = {}
  const p50ToPeers: Record<string, number> = {}
  const startRateToPeers: Record<string, number> = {}
  for (const peer of peers) {
    if (!peer.throughput || !peer.latency) continue
    const byC: Record<string, number> = {}
    for (const t of system.throughput ?? []) {
      const p = peer.throughput.find((x) => x.concurrency === t.concurrency)
      if (p) byC[`c${t.concurrency}`] = round(t.stepsPerSecond / p.stepsPerSecond)
    }
    throughputToPeers[peer.id] = byC
    if (system.latency) p50ToPeers[peer.id] = round(system.latency.p50Ms / peer.latency.p50Ms)
    if (system.startRate && peer.startRate) startRateToPeers[peer.id] = round(system.startRate.runsPerSecond / peer.startRate.runsPerSecond)
  }
  return {
    throughputToFloor,
    ...(system.startRate && floor8 ? { startRateToFloor: round(system.startRate.runsPerSecond / floor8.txPerSecond) } : {}),
    throughputToPeers,
    p50ToPeers,
    startRateToPeers,
  }
}

/** The targets for one durable backend, from what was measured. */
export function targetsOf(
  backend: Backend,
  system: SystemResult | undefined,
  ratios: Ratios | undefined,
  flat: FlatCostFigures | { error: string } | undefined,
  parked: ParkedFigures | { error: string } | undefined,
  active: ActiveRunsFigures | { error: string } | undefined,
): Target[] {
  const targets: Target[] = []
  const add = (target: string, measured: string, met: boolean | null) => targets.push({ backend, target, measured, met })
  for (const [c, ratio] of Object.entries(ratios?.throughputToFloor ?? {})) {
    add(`steps/s ≥ 0.5× floor at ${c.replace('c', 'c=')}`, `${ratio}× floor`, ratio >= 0.5)
  }
  if (system?.latency) {
    add('3-step run p50 ≤ 3 ms (low load)', `${system.latency.p50Ms} ms`, system.latency.p50Ms <= 3)
    add('3-step run p99 ≤ 10 ms (low load)', `${system.latency.p99Ms} ms`, system.latency.p99Ms <= 10)
  }
  if (isFigures(flat)) {
    add(
      `per-step time of a ${flat.longSteps}-step run ≤ 1.3× a ${flat.shortSteps}-step run`,
      `${flat.stepToStepRatio}× step-to-step (${flat.wallRatio}× wall)`,
      flat.stepToStepRatio <= 1.3,
    )
  }
  // Embedded, the database (PGlite's WebAssembly memory) lives in the worker process: its RSS is
  // mostly the database's, so the worker-memory targets are reported there, not judged.
  const inProcessDb = backend === 'embedded'
  const dbNote = inProcessDb ? ' — includes the in-process database' : ''
  if (isFigures(parked)) {
    add(
      `${parked.runs} parked runs add < 10 MB RSS`,
      `${parked.rssDeltaMb >= 0 ? '+' : ''}${parked.rssDeltaMb} MB RSS (heap ${parked.heapBeforeMb} → ${parked.heapParkedMb} MB)${dbNote}`,
      inProcessDb ? null : parked.rssDeltaMb < 10,
    )
    add(
      `parked runs wake within the poll interval (${parked.pollIntervalMs} ms)`,
      `late p50 ${parked.lateP50Ms} ms, p99 ${parked.lateP99Ms} ms, max ${parked.lateMaxMs} ms`,
      parked.lateP99Ms <= parked.pollIntervalMs,
    )
  }
  if (isFigures(active)) {
    add(`worker RSS ≤ 150 MB with ${active.runs} active runs`, `peak ${active.rssPeakMb} MB (heap peak ${active.heapPeakMb} MB)${dbNote}`, inProcessDb ? null : active.rssPeakMb <= 150)
  }
  if (system?.startRate && ratios?.startRateToFloor !== undefined) {
    add(`start() rate, ${system.startRate.runs} runs from ${system.startRate.callers} callers`, `${system.startRate.runsPerSecond} runs/s = ${ratios.startRateToFloor}× floor (c=8)`, null)
  }
  return targets
}
