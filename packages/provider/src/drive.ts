import { DurableError, type Json, type RunRecord, type RunState, type Workflow } from '@durable/core'
import type { Context } from '@opentelemetry/api'

/** Longest delay a Node timer takes; a farther deadline is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * One drive of a run by this worker: the handle that stops it from outside and, once the run is
 * claimed, what the worker holds of it — the record, the definition, the state and the results.
 */
export class Drive {
  readonly runId: string
  /** Aborted when the run must stop at once: the lease was lost or the stop deadline passed. */
  readonly #abort = new AbortController()
  /** Aborted when the run's deadline passes while this worker holds it: step tries stop. */
  readonly #deadline = new AbortController()
  #deadlineTimer: NodeJS.Timeout | undefined
  #trySignal: AbortSignal | undefined
  /** The run's deadline (epoch ms) until this drive applied it; undefined when it has none. */
  #deadlineAt: number | undefined
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

  /**
   * What a step's try stops on: this drive's signal, or the run's deadline. Compensators do not
   * stop at the deadline: they are what a timed-out run runs.
   */
  get trySignal(): AbortSignal {
    this.#trySignal ??= AbortSignal.any([this.#abort.signal, this.#deadline.signal])
    return this.#trySignal
  }

  /** The run's deadline, not yet applied by this drive (epoch ms on the runtime's clock). */
  get deadlineAt(): number | undefined {
    return this.#deadlineAt
  }

  /** True once the deadline timer fired: step tries were stopped. */
  get deadlinePassed(): boolean {
    return this.#deadline.signal.aborted
  }

  /**
   * Watches the run's deadline while this worker holds it: when `now()` (the runtime's clock,
   * the database's by default) reaches it, step tries stop — their `ctx.signal` aborts with
   * `RUN_TIMED_OUT` — and the driver applies the deadline.
   */
  watchDeadline(deadline: Date | null | undefined, now: () => number): void {
    if (deadline == null) return
    this.#deadlineAt = deadline.getTime()
    const check = (): void => {
      if (this.#deadlineAt === undefined) return
      const left = this.#deadlineAt - now()
      if (left <= 0) {
        this.#deadline.abort(new DurableError('RUN_TIMED_OUT', `run "${this.runId}" timed out: the timeout given to start() passed`))
        return
      }
      this.#deadlineTimer = setTimeout(check, Math.min(left, MAX_TIMER_MS))
      this.#deadlineTimer.unref?.()
    }
    check()
  }

  /** The deadline was applied (or the drive ends): stop watching it. */
  deadlineApplied(): void {
    this.#deadlineAt = undefined
    clearTimeout(this.#deadlineTimer)
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
