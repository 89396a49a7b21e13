/** How much work each scenario does: the full benchmark, or `--quick` (under two minutes). */
export interface Settings {
  readonly quick: boolean
  /** Repetitions of each timed measurement; the results are their medians. */
  readonly repetitions: number
  /** Runs per throughput repetition, at each concurrency. */
  readonly throughputRuns: number
  /** Runs done before measuring a system, not counted. */
  readonly warmupRuns: number
  /** Worker concurrencies of the throughput scenario. */
  readonly concurrencies: readonly number[]
  /** Client counts of the floor; a concurrency without its own floor is compared to the floor at 8. */
  readonly floorClients: readonly number[]
  /** Sequential start→completed samples per latency repetition. */
  readonly latencySamples: number
  /** Starts timed by the start-rate scenario, and the callers making them. */
  readonly startRuns: number
  readonly startCallers: number
  /** Seconds per floor measurement. */
  readonly floorSeconds: number
  /** The short and the long workflow of the flat-cost scenario, and runs of the short one. */
  readonly flatShortSteps: number
  readonly flatLongSteps: number
  readonly flatShortRuns: number
  /** Sleeping runs of the parked-runs scenario. */
  readonly parkedRuns: number
  /** Runs started, then drained, by the active-runs memory scenario. */
  readonly activeRuns: number
  /** Runs of one `startMany` call in the start-many scenario. */
  readonly startManyRuns: number
  /** Runs drained at each host count of the `hosts` scenario. */
  readonly hostsRuns: number
  /** Runs of each drain of the flow-claim scenario (unkeyed, keyed, limited). */
  readonly flowRuns: number
  /**
   * Repetitions of its unkeyed and keyed drains, back to back: more than the others, since the
   * ratio of two close figures is what it reports. The binding limit is drained `repetitions` times.
   */
  readonly flowRepetitions: number
}

/**
 * Connections of each system's pool: the largest concurrency (20) plus the listener and callers,
 * so that no system waits for a connection at c=20.
 */
export const POOL_SIZE = 24

/** The floor's client count that the throughput targets compare steps/s with. */
export const REFERENCE_FLOOR_CLIENTS = 8

export function settingsFor(quick: boolean): Settings {
  return quick
    ? {
        quick,
        repetitions: 1,
        throughputRuns: 100,
        warmupRuns: 20,
        concurrencies: [1, 8, 20],
        floorClients: [1, 8],
        latencySamples: 30,
        startRuns: 500,
        startCallers: 8,
        floorSeconds: 2,
        flatShortSteps: 10,
        flatLongSteps: 1000,
        flatShortRuns: 5,
        parkedRuns: 500,
        activeRuns: 500,
        startManyRuns: 1000,
        hostsRuns: 400,
        flowRuns: 300,
        flowRepetitions: 2,
      }
    : {
        quick,
        repetitions: 3,
        throughputRuns: 1000,
        warmupRuns: 100,
        concurrencies: [1, 8, 20],
        floorClients: [1, 8],
        latencySamples: 150,
        startRuns: 10_000,
        startCallers: 8,
        floorSeconds: 8,
        flatShortSteps: 10,
        flatLongSteps: 1000,
        flatShortRuns: 20,
        parkedRuns: 10_000,
        activeRuns: 10_000,
        startManyRuns: 10_000,
        hostsRuns: 3000,
        flowRuns: 1000,
        flowRepetitions: 5,
      }
}
