import type { Json, RunRecord, RunState, Workflow } from '@durable/core'
import type { Context } from '@opentelemetry/api'

/**
 * One drive of a run by this worker: the handle that stops it from outside and, once the run is
 * claimed, what the worker holds of it — the record, the definition, the state and the results.
 */
export class Drive {
  readonly runId: string
  /** Aborted when the run must stop at once: the lease was lost or the stop deadline passed. */
  readonly #abort = new AbortController()
  #stopRequested = false
  /** True while this worker holds the run's lease. */
  leased = false
  /** Set by `claimed`: the run as claimed, the definition that drives it, its results so far. */
  run!: RunRecord
  workflow!: Workflow
  results!: Record<string, Json>
  resultsView!: Readonly<Record<string, Json>>
  /** The state as last committed. */
  state!: RunState
  /** The OpenTelemetry context of this drive's `durable.run` span. */
  trace?: Context

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

  /** The worker holds the run now: what it drives from. */
  claimed(run: RunRecord, workflow: Workflow, results: Record<string, Json>, trace: Context | undefined): this {
    this.run = run
    this.workflow = workflow
    this.results = results
    this.resultsView = readOnly(results)
    this.state = run.state
    this.trace = trace
    return this
  }
}

function readOnly<T extends object>(target: T): Readonly<T> {
  return new Proxy(target, {
    set: () => {
      throw new TypeError('ctx.results is read-only: return a value from the step instead')
    },
    deleteProperty: () => {
      throw new TypeError('ctx.results is read-only')
    },
  })
}
