/** How big a soak is: runs, workers and faults, spread over a load window. */
export interface SoakConfig {
  /** Runs started, evenly over `loadMs`. */
  readonly runs: number
  /** Worker processes alive at any time. */
  readonly workers: number
  /** Runs each worker drives at once. */
  readonly concurrency: number
  /** `leaseMs` of the workers: how soon a run is taken over from a worker that stopped renewing but still holds its liveness (a SIGKILLed one is seen dead sooner, by its lost connection). */
  readonly leaseMs: number
  /** Workers SIGKILLed (each replaced at once). */
  readonly kills: number
  /** PostgreSQL restarts (stop, outage, start on the same data and port). */
  readonly restarts: number
  /** How long the database stays down at each restart. */
  readonly outageMs: number
  /** Times every worker connection is cut with `pg_terminate_backend`. */
  readonly drops: number
  /**
   * PostgreSQL failovers: the soak then runs on a primary and a synchronous standby, workers and
   * starter on a multi-host connection string; the primary is SIGKILLed and the standby promoted
   * `promoteAfterMs` later. At most 1 (the old primary does not rejoin).
   */
  readonly failovers: number
  readonly promoteAfterMs: number
  /** Window over which runs are started and faults injected. */
  readonly loadMs: number
  /** How long runs may take to end after the load window before they count as stuck. */
  readonly drainMs: number
  /** Seeds the choice of the worker to kill and the order of the faults. */
  readonly seed: number
}

/** The bounded soak `npm test` runs, and `npm run chaos` by default. */
export const SHORT: SoakConfig = {
  runs: 300,
  workers: 3,
  concurrency: 8,
  leaseMs: 2000,
  kills: 4,
  restarts: 1,
  outageMs: 1500,
  drops: 2,
  failovers: 0,
  promoteAfterMs: 1000,
  loadMs: 20_000,
  drainMs: 90_000,
  seed: 42,
}

/** `npm run chaos -- --long`: with a PostgreSQL failover among the faults. */
export const LONG: SoakConfig = {
  runs: 3000,
  workers: 4,
  concurrency: 8,
  leaseMs: 2000,
  kills: 24,
  restarts: 3,
  outageMs: 2500,
  drops: 6,
  failovers: 1,
  promoteAfterMs: 1000,
  loadMs: 150_000,
  drainMs: 180_000,
  seed: 7,
}
