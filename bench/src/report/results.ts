/**
 * The shape of `bench/results/latest.json`, and the derived figures: ratios to the floor and to
 * each peer, and the targets — measured, never asserted.
 */
import type { FloorFigures } from '../floor.js'
import type { HostsRow } from '../hosts/hosts-scenario.js'
import type { ActiveRunsFigures } from '../scenarios/active-runs.js'
import type { FlatCostFigures } from '../scenarios/flat-cost.js'
import type { FlowClaimFigures } from '../scenarios/flow-claim.js'
import type { ParkedFigures } from '../scenarios/parked-runs.js'
import type { StartManyFigures } from '../scenarios/start-many.js'
import type { ThreeStepFigures } from '../scenarios/three-step.js'
import { REFERENCE_FLOOR_CLIENTS, type Settings } from '../settings.js'
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
  readonly startMany: PerBackend<StartManyFigures>
  /** One worker draining the same backlog without and with flow control. */
  readonly flowClaim: PerBackend<FlowClaimFigures>
  /** Workers on 1, 2 and 4 hosts (network namespaces); absent when not selected. */
  readonly hosts?: readonly HostsRow[] | { readonly error: string }
  readonly ratios: Readonly<Record<string, Ratios>>
  readonly targets: readonly Target[]
}

/** A durable system's figures over the floor's and each peer's. */
export interface Ratios {
  /** steps/s ÷ floor tx/s, by concurrency: the floor at the same client count, else at 8 clients. */
  readonly throughputToFloor: Readonly<Record<string, number>>
  /** starts/s ÷ floor tx/s at 8 clients. */
  readonly startRateToFloor?: number
  /** durable's steps/s ÷ the peer's, by peer and concurrency (> 1: durable is faster). */
  readonly throughputToPeers: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** durable's steps/s ÷ the fastest peer's at that concurrency in this run, by concurrency. */
  readonly throughputToBestPeer: Readonly<Record<string, BestPeerRatio>>
  /** durable's p50 ÷ the peer's (< 1: durable is faster). */
  readonly p50ToPeers: Readonly<Record<string, number>>
  /** durable's starts/s ÷ the peer's (> 1: durable is faster). */
  readonly startRateToPeers: Readonly<Record<string, number>>
}

export interface BestPeerRatio {
  readonly peer: SystemId
  readonly name: string
  readonly ratio: number
}

export interface Target {
  readonly backend: Backend
  readonly target: string
  readonly measured: string
  /** null: reported, no threshold. */
  readonly met: boolean | null
}

/**
 * The thresholds. A target without one (start rates) is reported, not judged. The
 * throughput targets compare steps/s at every concurrency above 8 with the floor at 8 clients.
 */
/** The targets of the group-commit issue (throughput to the floor: 0.6× was its milestone). */
export const THRESHOLDS = {
  throughputToFloor: 1,
  throughputToBestPeer: 3,
  startManyToFloor: 2,
  p50Ms: 3,
  p99Ms: 10,
  parkedRssDeltaMb: 10,
  activeRssPeakMb: 150,
} as const

const PEER_LABELS: Partial<Record<SystemId, string>> = { dbos: 'DBOS', 'graphile-local': 'graphile-worker localQueue+batch' }

/** A peer's name short enough for a table cell. */
export const peerLabel = (id: SystemId): string => PEER_LABELS[id] ?? id

export const isFigures = <T>(value: T | { error: string } | undefined): value is T => value !== undefined && !('error' in (value as object))

/** The floor steps/s at concurrency c are compared with: at c clients if measured, else at 8. */
export const floorFor = (floor: readonly FloorFigures[], c: number): FloorFigures | undefined =>
  floor.find((x) => x.clients === c) ?? floor.find((x) => x.clients === REFERENCE_FLOOR_CLIENTS)

export function ratiosOf(system: SystemResult, peers: readonly SystemResult[], floor: readonly FloorFigures[]): Ratios {
  const throughputToFloor: Record<string, number> = {}
  for (const t of system.throughput ?? []) {
    const f = floorFor(floor, t.concurrency)
    if (f) throughputToFloor[`c${t.concurrency}`] = round(t.stepsPerSecond / f.txPerSecond)
  }
  const floor8 = floor.find((x) => x.clients === REFERENCE_FLOOR_CLIENTS)
  const throughputToBestPeer: Record<string, BestPeerRatio> = {}
  for (const t of system.throughput ?? []) {
    let best: { peer: SystemResult; steps: number } | undefined
    for (const peer of peers) {
      const steps = peer.throughput?.find((x) => x.concurrency === t.concurrency)?.stepsPerSecond ?? 0
      if (steps > (best?.steps ?? 0)) best = { peer, steps }
    }
    if (best) throughputToBestPeer[`c${t.concurrency}`] = { peer: best.peer.id, name: best.peer.name ?? best.peer.id, ratio: round(t.stepsPerSecond / best.steps) }
  }
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
    throughputToBestPeer,
    p50ToPeers,
    startRateToPeers,
  }
}

/** What one durable backend's targets are judged on. */
export interface BackendFigures {
  readonly system?: SystemResult
  readonly ratios?: Ratios
  readonly floor: readonly FloorFigures[]
  readonly flat?: FlatCostFigures | { error: string }
  readonly parked?: ParkedFigures | { error: string }
  readonly active?: ActiveRunsFigures | { error: string }
  readonly startMany?: StartManyFigures | { error: string }
}

/** The runs/s of a start scenario over the floor's tx/s at 8 clients. */
export const toFloor = (runsPerSecond: number, floor: readonly FloorFigures[]): number | undefined => {
  const f = floor.find((x) => x.clients === REFERENCE_FLOOR_CLIENTS)
  return f ? round(runsPerSecond / f.txPerSecond) : undefined
}

/** The targets for one durable backend, from what was measured. */
export function targetsOf(backend: Backend, figures: BackendFigures): Target[] {
  const { system, ratios, floor, flat, parked, active, startMany } = figures
  const T = THRESHOLDS
  const targets: Target[] = []
  const add = (target: string, measured: string, met: boolean | null) => targets.push({ backend, target, measured, met })
  for (const [key, ratio] of Object.entries(ratios?.throughputToFloor ?? {})) {
    const c = Number(key.slice(1))
    const clients = floorFor(floor, c)?.clients ?? c
    add(`steps/s at c=${c} ≥ ${T.throughputToFloor}× floor (${clients} client${clients === 1 ? '' : 's'})`, `${ratio}× floor`, ratio >= T.throughputToFloor)
  }
  for (const [key, best] of Object.entries(ratios?.throughputToBestPeer ?? {})) {
    if (key === 'c1') continue // the issue compares peers under load
    add(`steps/s at c=${key.slice(1)} ≥ ${T.throughputToBestPeer}× the best peer's`, `${best.ratio}× ${peerLabel(best.peer)}`, best.ratio >= T.throughputToBestPeer)
  }
  if (system?.latency) {
    add(`3-step run p50 ≤ ${T.p50Ms} ms (low load)`, `${system.latency.p50Ms} ms`, system.latency.p50Ms <= T.p50Ms)
    add(`3-step run p99 ≤ ${T.p99Ms} ms (low load)`, `${system.latency.p99Ms} ms`, system.latency.p99Ms <= T.p99Ms)
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
      `${parked.runs} parked runs add < ${T.parkedRssDeltaMb} MB RSS`,
      `${parked.rssDeltaMb >= 0 ? '+' : ''}${parked.rssDeltaMb} MB RSS (heap ${parked.heapBeforeMb} → ${parked.heapParkedMb} MB)${dbNote}`,
      inProcessDb ? null : parked.rssDeltaMb < T.parkedRssDeltaMb,
    )
    add(
      `parked runs wake within the poll interval (${parked.pollIntervalMs} ms)`,
      `late p50 ${parked.lateP50Ms} ms, p99 ${parked.lateP99Ms} ms, max ${parked.lateMaxMs} ms`,
      parked.lateP99Ms <= parked.pollIntervalMs,
    )
  }
  if (isFigures(active)) {
    add(
      `worker RSS ≤ ${T.activeRssPeakMb} MB while ${active.runs} active runs drain`,
      `peak ${active.rssPeakMb} MB (heap peak ${active.heapPeakMb} MB)${dbNote}`,
      inProcessDb ? null : active.rssPeakMb <= T.activeRssPeakMb,
    )
  }
  if (system?.startRate && ratios?.startRateToFloor !== undefined) {
    add(
      `start() rate, ${system.startRate.runs} runs from ${system.startRate.callers} callers`,
      `${system.startRate.runsPerSecond} runs/s = ${ratios.startRateToFloor}× floor (8 clients)`,
      null,
    )
  }
  if (isFigures(startMany)) {
    const ratio = toFloor(startMany.runsPerSecond, floor)
    add(
      `startMany() rate ≥ ${T.startManyToFloor}× floor, ${startMany.runs} runs in one call`,
      `${startMany.runsPerSecond} runs/s = ${ratio ?? '?'}× floor (8 clients)`,
      ratio === undefined ? null : ratio >= T.startManyToFloor,
    )
  }
  return targets
}
