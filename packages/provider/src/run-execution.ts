/** One run being driven by this worker: the handle used to stop it from outside. */
export class RunExecution {
  readonly runId: string
  /** Aborted when the run must stop at once: the lease was lost or the stop deadline passed. */
  readonly #abort = new AbortController()
  #stopRequested = false
  /** True while this worker holds the run's lease. */
  leased = false

  constructor(runId: string) {
    this.runId = runId
  }

  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** Ask the run to stop at the next step boundary and give its lease back. */
  requestStop(): void {
    this.#stopRequested = true
  }

  get stopRequested(): boolean {
    return this.#stopRequested || this.#abort.signal.aborted
  }

  /** Stop now: in-flight handlers are abandoned (their results will not be recorded). */
  abort(reason: Error): void {
    if (!this.#abort.signal.aborted) this.#abort.abort(reason)
  }
}
