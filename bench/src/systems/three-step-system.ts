/**
 * What the throughput, latency and start-rate scenarios need from a system under test: durable
 * (on the server or on PGlite) or a peer. Each runs the same work — a workflow of three no-op
 * steps, or for a plain queue a chain of three jobs, each sending the next — in its own way.
 */
export interface ThreeStepSystem {
  /** As shown in the table, e.g. `durable (queue-postgres)`, `pg-boss 10.4.2 (3-job chain)`. */
  readonly name: string
  /** How this system was driven, for the results (one line). */
  readonly method: string
  /**
   * Completes `runs` three-step runs with `concurrency` of them in flight; resolves with the
   * seconds the measured part took. What is measured is up to the system and told in `method`.
   */
  throughput(runs: number, concurrency: number): Promise<number>
  /** Starts one run with a worker idle at concurrency 1 and resolves, in ms, when it completed. */
  latencyOnce(): Promise<number>
  /** Prepares `latencyOnce` (starts the idle worker); `endLatency` stops it. */
  beginLatency(): Promise<void>
  endLatency(): Promise<void>
  /** Starts `runs` runs from `callers` concurrent callers without working them; seconds taken. */
  startRate?(runs: number, callers: number): Promise<number>
  /** Closes pools and workers, so the process can exit. */
  close(): Promise<void>
}
