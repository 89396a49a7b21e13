import { hostname } from 'node:os'
import { describeValue, DurableError, isDurableError, LIVE_OWNER_MARK, type RunRecord, type WorkerLiveness } from '@durable/core'
import type { ClaimedRun, DurableJob, QueueAdapter, RunClaimer } from '@durable/queue-adapter'
import { ulid } from 'ulid'
import { Drive } from './drive.js'
import { applyRetention } from './retention.js'
import { RunDriver } from './run-driver.js'
import { canSchedule, Scheduler } from './scheduler.js'
import type { RuntimeContext } from './runtime-context.js'

/** Options of `durable.worker()`. */
export interface WorkerOptions {
  /** Runs driven at once. Default 16. */
  concurrency?: number
  /**
   * How often the reconciler looks for due runs that no live worker holds — their job was lost,
   * or their worker died. Default 1000 ms. Schedules are looked at, at the latest, as often
   * (and on each slot's time).
   */
  reconcileIntervalMs?: number
  /** How long `stop()` lets running steps finish before abandoning them. Default 10,000 ms. */
  stopTimeoutMs?: number
  /**
   * How often the worker deletes ended runs older than `createDurable`'s `retention` (a bounded
   * amount each time). Default 60,000 ms. Without `retention`, it deletes nothing.
   */
  retentionIntervalMs?: number
}

/** A reserved slot for a run started in this process. @internal */
export interface LocalStart {
  /** The lease owner to create the run with. */
  readonly owner: string
  /** Drives the run, created leased to `owner`. */
  drive(run: RunRecord): void
  /** Gives the slot back: the run was not created. */
  release(): void
}

/** A worker: `start()` consumes jobs and drives runs; `stop()` hands its runs back. */
export interface DurableWorker {
  /** Worker id, used as the lease owner. */
  readonly id: string
  /** Starts consuming; rejects with `NOT_MIGRATED` when the store's tables are missing or older than this code. */
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Consumes wake-up jobs and drives runs. Besides the queue, two timers keep the promises:
 * lease renewal (a long step keeps its run) and the reconciler (a run whose job was lost, or
 * whose worker died, is dispatched again once it is due and unleased). With `retention`, a third
 * deletes ended runs that are older than it; with `schedules`, a fourth starts the runs of due
 * slots (see `Scheduler`).
 *
 * When the store can show a worker's liveness (`RunStore.holdLiveness`: PostgreSQL, not PGlite),
 * the worker holds it from `start()` to `stop()`, and its id says so (`LIVE_OWNER_MARK`): once
 * it dies, the others' reconcilers see its runs as free at their next scan (every second by
 * default) and take them over — about two seconds after the death, whatever `leaseMs` is.
 * Leases still expire as before: they cover a worker that lives but is stuck (a long pause), and
 * workers without liveness.
 */
export class Worker implements DurableWorker {
  readonly id: string
  readonly #rt: RuntimeContext
  readonly #driver: RunDriver
  readonly #concurrency: number
  readonly #reconcileIntervalMs: number
  readonly #stopTimeoutMs: number
  readonly #retentionIntervalMs: number
  /** A retention pass in progress: the next tick skips rather than piling passes up. */
  #pruning: Promise<void> | undefined
  readonly #scheduler: Scheduler | undefined
  readonly #inFlight = new Map<string, Drive>()
  /** Slots promised to runs this process is starting (see `reserveLocalStart`). */
  #reserved = 0
  readonly #localDrives = new Set<Promise<void>>()
  /** Runs the reconciler found due: since when it keeps finding them, and when it last dispatched them. */
  readonly #stillDue = new Map<string, { since: number; dispatchedAt: number }>()
  /** The reconciler pass under way (see `#reconcileOnce`). */
  #reconciling: Promise<void> | undefined
  #consumer: { stop(): Promise<void> } | undefined
  #liveness: WorkerLiveness | undefined
  #timers: NodeJS.Timeout[] = []
  #state: 'new' | 'started' | 'stopping' | 'stopped' = 'new'
  /** Background tasks failing in a row (reconciler, lease renewal): logged once per outage. */
  readonly #failing = new Map<string, number>()

  constructor(runtime: RuntimeContext, options: WorkerOptions = {}) {
    this.#rt = runtime
    this.id = `${hostname()}:${process.pid}:${ulid()}${typeof runtime.store.holdLiveness === 'function' ? LIVE_OWNER_MARK : ''}`
    this.#driver = new RunDriver(runtime, this.id)
    this.#concurrency = positiveInteger(options.concurrency ?? 16, 'concurrency')
    this.#reconcileIntervalMs = positiveInteger(options.reconcileIntervalMs ?? 1000, 'reconcileIntervalMs')
    this.#stopTimeoutMs = positiveInteger(options.stopTimeoutMs ?? 10_000, 'stopTimeoutMs')
    this.#retentionIntervalMs = positiveInteger(options.retentionIntervalMs ?? 60_000, 'retentionIntervalMs')
    const { store } = runtime
    this.#scheduler =
      runtime.schedules.length > 0 && canSchedule(store)
        ? new Scheduler(runtime, store, this.#reconcileIntervalMs, { failed: (task, error) => this.#failed(task, error), recovered: (task) => this.#recovered(task) })
        : undefined
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new DurableError('INVALID_INPUT', `worker ${this.id} was already started; create a new one with durable.worker()`)
    this.#state = 'started'
    try {
      // Once per worker, not per call: a worker on tables that are missing or too old would only
      // fail every scan in the background. Refuse now, naming the fix (NOT_MIGRATED). A database
      // that cannot be reached is an outage the worker rides out, as ever: it starts, and its
      // scans retry quietly (a NOT_MIGRATED found then is what their log line says).
      await this.#rt.store.assertMigrated?.().catch((error: unknown) => {
        if (!isDurableError(error, 'STORE_UNAVAILABLE')) throw error
      })
      // Alive before it leases anything: a lease of this id without the lock would look dead.
      this.#liveness = await this.#rt.store.holdLiveness?.(this.id)
      this.#consumer = await this.#rt.queue.consume((job) => this.#handle(job, job.claimed), { concurrency: this.#concurrency, claimRuns: this.#claimer() })
    } catch (error) {
      await this.#liveness?.release().catch(() => {})
      this.#liveness = undefined
      this.#state = 'new' // may be started again, once the cause is fixed
      throw error
    }
    this.#timers.push(setInterval(() => void this.#renewLeases(), Math.max(50, Math.floor(this.#rt.leaseMs / 3))))
    this.#timers.push(setInterval(() => this.#reconcileOnce(), this.#reconcileIntervalMs))
    if (this.#rt.retention.length > 0) this.#timers.push(setInterval(() => this.#applyRetention(), this.#retentionIntervalMs))
    for (const timer of this.#timers) timer.unref()
    this.#reconcileOnce()
    if (this.#rt.retention.length > 0) this.#applyRetention()
    this.#scheduler?.start()
  }

  /** Lets running steps finish (up to `stopTimeoutMs`), then gives every lease back. */
  async stop(): Promise<void> {
    if (this.#state !== 'started') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopping'
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    const scheduling = this.#scheduler?.stop()
    for (const drive of this.#inFlight.values()) drive.requestStop()
    const deadline = setTimeout(() => {
      for (const drive of this.#inFlight.values()) {
        drive.abort(new DurableError('RUN_CANCELLED', `worker ${this.id} stopped before the step finished (stopTimeoutMs)`))
      }
    }, this.#stopTimeoutMs)
    try {
      await this.#consumer?.stop()
      await Promise.all(this.#localDrives)
      await this.#reconciling
      await this.#pruning
      await scheduling
    } finally {
      clearTimeout(deadline)
      this.#state = 'stopped'
      // Last: leases not handed back by now are a dead worker's, free for the others at once.
      await this.#liveness?.release()
    }
  }

  /**
   * A slot for a run this process starts, when one is free: the run is created already leased to
   * this worker and driven here at once — no job, no claim. Should this process die, the lease
   * expires and the reconciler dispatches the run, as for any crash. Call `drive` once the run is
   * committed, or `release` when it was not created.
   */
  reserveLocalStart(): LocalStart | undefined {
    if (this.#state !== 'started' || !this.#alive || this.#inFlight.size + this.#reserved >= this.#concurrency) return undefined
    this.#reserved++
    let settled = false
    /** Gives the slot back once; false when it was given back already. */
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      this.#reserved--
      return true
    }
    return {
      owner: this.id,
      drive: (run) => {
        if (settle()) this.#driveHere(run.id, run)
      },
      release: () => void settle(),
    }
  }

  /**
   * What the queue needs to claim runs with their jobs (queue-postgres does): this worker's id,
   * its definitions and the lease's times — none while it stops or is seen dead, when it must
   * not claim (see `#handle`).
   */
  #claimer(): RunClaimer {
    const { registry, clock, leaseMs } = this.#rt
    return {
      owner: this.id,
      definitions: registry.definitions,
      lease: async () => {
        if (this.#state !== 'started' || !this.#alive) return undefined
        await this.#rt.syncClock()
        const now = clock.now()
        return { now, leaseUntil: new Date(now.getTime() + leaseMs), driving: [...this.#inFlight.keys()] }
      },
    }
  }

  /** Drives a run outside the queue's deliveries (a local start, a run the reconciler found). */
  #driveHere(runId: string, started?: RunRecord): void {
    const driving = this.#handle({ runId }, started && { run: started, previousLeaseExpired: false })
    this.#localDrives.add(driving)
    void driving.finally(() => this.#localDrives.delete(driving))
  }

  /** Drives the job's run: claimed here, or `claimed` already (a local start, a queue that claims). */
  async #handle(job: DurableJob, claimed?: ClaimedRun): Promise<void> {
    if (this.#state !== 'started' || this.#inFlight.has(job.runId)) {
      // A run leased to this worker while it stopped: hand it to another one.
      if (claimed !== undefined)
        await this.#rt.store
          .releaseLeases(this.id, [job.runId])
          .then(() => this.#rt.queue.dispatch({ runId: job.runId }))
          .catch(() => {})
      return
    }
    // Seen dead (its liveness connection is lost): a run claimed now would look free to the
    // others at once. Leave it; the reconciler dispatches it again, here or elsewhere.
    if (claimed === undefined && !this.#alive) return
    const drive = new Drive(job.runId)
    this.#inFlight.set(job.runId, drive)
    let outage: boolean
    let instead: string | undefined
    try {
      instead = await this.#driver.advance(drive, claimed)
      outage = isDurableError(drive.signal.reason, 'STORE_UNAVAILABLE')
    } catch (error) {
      outage = isDurableError(error, 'STORE_UNAVAILABLE')
      // An outage is expected trouble (the run is handed back below); anything else is a bug.
      this.#rt.logger[outage ? 'warn' : 'error']({ runId: job.runId, err: error }, `could not advance run "${job.runId}"; the reconciler will try again`)
    } finally {
      this.#inFlight.delete(job.runId)
    }
    if (outage) void this.#handBackAfterOutage(job.runId)
    // A due run of higher priority outranked this one: this slot drives it now.
    if (instead !== undefined) await this.#handle({ runId: instead })
  }

  /**
   * The database went away while this worker drove the run: the lease may still be ours (a
   * claim or a commit whose reply was lost). Give it back as soon as the database answers, so
   * the run goes on at once — without waiting for the lease to expire, and without losing an
   * attempt to `LEASE_EXPIRED`. The run's driving has ended here, so whatever last committed is
   * what the next claim sees. After `leaseMs` the lease has expired anyway: stop trying.
   */
  async #handBackAfterOutage(runId: string): Promise<void> {
    const giveUpAt = Date.now() + this.#rt.leaseMs
    for (let pause = 100; this.#state === 'started' && Date.now() < giveUpAt; pause = Math.min(pause * 2, 1000)) {
      await new Promise((resolve) => setTimeout(resolve, pause).unref())
      if (this.#inFlight.has(runId)) return
      try {
        await this.#rt.store.releaseLeases(this.id, [runId])
        await this.#rt.queue.dispatch({ runId })
        return
      } catch {
        // Still unreachable: try again shortly.
      }
    }
  }

  /**
   * False while the store shows this worker dead: before it holds its liveness, and while its
   * liveness connection is being restored. Always true on a store without liveness.
   */
  get #alive(): boolean {
    return this.#liveness !== undefined ? this.#liveness.alive : typeof this.#rt.store.holdLiveness !== 'function'
  }

  async #renewLeases(): Promise<void> {
    const leased = [...this.#inFlight.values()].filter((e) => e.leased)
    if (leased.length === 0) return
    try {
      await this.#rt.syncClock()
      const until = new Date(this.#rt.clock.now().getTime() + this.#rt.leaseMs)
      const held = new Set(
        await this.#rt.store.renewLeases(
          this.id,
          leased.map((e) => e.runId),
          until,
        ),
      )
      for (const drive of leased) {
        if (!held.has(drive.runId) && drive.leased) {
          drive.abort(new DurableError('LEASE_LOST', `worker ${this.id} lost the lease of run "${drive.runId}"`))
        }
      }
      this.#recovered('lease renewal')
    } catch (error) {
      this.#failed('lease renewal', error)
    }
  }

  /**
   * Starts a reconciler pass unless one is under way: with a backlog and a busy pool a pass can
   * outlast the interval, and passes piling up would take the connections the runs need.
   */
  #reconcileOnce(): void {
    if (this.#reconciling !== undefined) return
    this.#reconciling = this.#reconcile().finally(() => {
      this.#reconciling = undefined
    })
  }

  async #reconcile(): Promise<void> {
    if (this.#state !== 'started') return
    try {
      await this.#rt.syncClock()
      // A grace of one interval: a run started a moment ago is not yet late, its job is on its way.
      const now = new Date(this.#rt.clock.now().getTime() - this.#reconcileIntervalMs)
      const due = await this.#rt.store.findDueRuns({ now, definitions: this.#rt.registry.definitions, limit: 100 })
      const seenAt = Date.now()
      const patience = Math.max(5 * this.#reconcileIntervalMs, 3_000)
      for (const runId of [...this.#stillDue.keys()]) if (!due.includes(runId)) this.#stillDue.delete(runId)
      const wake: DurableJob[] = []
      for (const runId of due) {
        if (this.#inFlight.has(runId)) continue
        const seen = this.#stillDue.get(runId)
        this.#stillDue.set(runId, { since: seen?.since ?? seenAt, dispatchedAt: seen?.dispatchedAt ?? -Infinity })
        const entry = this.#stillDue.get(runId)!
        // Still due long after its job went out: the wake-ups keep going elsewhere (in a mixed
        // fleet, to workers without its definition). Drive it here while a slot is free.
        if (seenAt - entry.since >= patience && this.#inFlight.size + this.#reserved < this.#concurrency) {
          this.#driveHere(runId)
          continue
        }
        // A backlog stays due for a while with its jobs waiting: dispatching them again at every
        // pass would only flood the queue. Once, then again if it is still due after a while.
        if (seenAt - entry.dispatchedAt < patience) continue
        entry.dispatchedAt = seenAt
        wake.push({ runId })
      }
      await dispatchAll(this.#rt.queue, wake)
      this.#recovered('reconciler scan')
    } catch (error) {
      this.#failed('reconciler scan', error)
    }
  }

  /**
   * Deletes ended runs older than the retention, a bounded amount per pass. Every worker of a
   * fleet does it: their batches skip the runs another one is deleting (`SKIP LOCKED`).
   */
  #applyRetention(): void {
    if (this.#state !== 'started' || this.#pruning !== undefined) return
    this.#pruning = applyRetention(this.#rt)
      .then((count) => {
        if (count > 0) this.#rt.logger.info({ count }, `retention deleted ${count} ended runs, with their journals and signals`)
        this.#recovered('retention')
      })
      .catch((error: unknown) => this.#failed('retention', error))
      .finally(() => {
        this.#pruning = undefined
      })
  }

  /** Logs the first failure of a background task in a row; its repeats (an outage) stay quiet. */
  #failed(task: string, error: unknown): void {
    const failures = (this.#failing.get(task) ?? 0) + 1
    this.#failing.set(task, failures)
    if (failures === 1) this.#rt.logger.warn({ err: error }, `${task} failed; retrying quietly until it works again`)
  }

  #recovered(task: string): void {
    const failures = this.#failing.get(task)
    if (failures === undefined) return
    this.#failing.delete(task)
    this.#rt.logger.info({ failures }, `${task} works again after ${failures} failed tries`)
  }
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DurableError('INVALID_INPUT', `worker option ${name} must be a whole number ≥ 1, got ${describeValue(value)}`)
  }
  return value
}

/** Dispatches `jobs` in one call when the queue takes many at once, else one by one. */
async function dispatchAll(queue: QueueAdapter, jobs: readonly DurableJob[]): Promise<void> {
  if (jobs.length === 0) return
  if (queue.dispatchMany !== undefined) return queue.dispatchMany(jobs)
  for (const job of jobs) await queue.dispatch(job)
}
