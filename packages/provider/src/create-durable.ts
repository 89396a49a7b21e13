import { EventEmitter } from 'node:events'
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  describeValue,
  DurableError,
  initialState,
  isTerminal,
  parseDuration,
  checkPriority,
  runFlow,
  planFork,
  RunNotActiveError,
  RunNotFoundError,
  retryable,
  signalNames,
  runResults,
  toJsonText,
  type Duration,
  type Json,
  type NewRun,
  type JournalEntry,
  type PendingSignal,
  type RunRecord,
  type RunStatus,
  type RunStore,
  type Workflow,
  type WorkflowInput,
} from '@durable/core'
import type { QueueAdapter } from '@durable/queue-adapter'
import { ulid } from 'ulid'
import { DatabaseClock, systemClock, type Clock } from './clock.js'
import { consoleLogger, type Logger } from './logger.js'
import { toSnapshot, toSummary, type RunSnapshot, type RunSummary } from './run-snapshot.js'
import type { RuntimeContext } from './runtime-context.js'
import { Worker, type DurableWorker, type LocalStart, type WorkerOptions } from './worker.js'
import { describeVersion, WorkflowRegistry } from './workflow-registry.js'
import { WaitDefinitions } from './wait-definitions.js'
import { Batcher } from './batcher.js'
import { checkDryRun, createWithJobs, forEachRun, startMany, type RunFilter, type StartItem } from './bulk-operations.js'
import { changeAndWake, deadlineOf, requestCancel } from './run-requests.js'
import { parseRetention, PRUNE_BATCH, pruneInBatches, type Retention } from './retention.js'
import { parseCron, parseSchedules, type Schedule, type ScheduleInfo } from './schedule-definitions.js'
import { canSchedule } from './scheduler.js'

/** Options of `createDurable`. */
export interface DurableOptions {
  readonly store: RunStore
  readonly queue: QueueAdapter
  readonly workflows: readonly Workflow[]
  /** pino-compatible logger. Default: warnings and errors to stderr. */
  readonly logger?: Logger
  /** How long a worker's claim on a run lasts without renewal. Default 30,000 ms. */
  readonly leaseMs?: number
  /** Largest input, result or signal payload, in bytes of JSON. Default 4 MiB. */
  readonly maxPayloadBytes?: number
  /**
   * Where time comes from; tests inject one. Default: the database's clock when the store can
   * read it (`RunStore.now`), else this process's clock.
   */
  readonly clock?: Clock
  /**
   * How long ended runs are kept: one `Duration` for all, or `{ completed?, failed?, cancelled? }`
   * (a status left out is kept for ever). Default: for ever. Started workers delete older runs
   * with their journals and signals, in bounded batches every `retentionIntervalMs` (a worker
   * option, default one minute); never an active run. A bad duration → `INVALID_DEFINITION`.
   *
   * ### Example
   * ```ts
   * createDurable({ store, queue, workflows, retention: { completed: '7d', failed: '30d' } })
   * ```
   */
  readonly retention?: Retention
  /**
   * Runs to start on a cron schedule (see {@link Schedule}): each slot starts exactly one run,
   * however many workers run; started workers start them, on the database's clock. An invalid
   * cron or time zone, an unknown `catchUp`, two schedules of one name, a workflow not in
   * `workflows` → `INVALID_DEFINITION`. Needs a store that keeps schedules (`ScheduleStore`).
   *
   * ### Example
   * ```ts
   * createDurable({ store, queue, workflows: [report], schedules: [
   *   { name: 'nightly-report', workflow: report, cron: '0 3 * * *', timezone: 'Europe/Paris',
   *     input: (at) => ({ day: at.toISOString().slice(0, 10) }) },
   * ] })
   * ```
   */
  readonly schedules?: readonly Schedule[]
}

/** Options of `start()`. */
export interface StartOptions {
  /** The same key for the same workflow returns the first run's id and starts nothing. */
  idempotencyKey?: string
  /** An integer, default 0: among due runs, workers claim higher priorities first. */
  priority?: number
  /**
   * Starts of this workflow with the same `key` less than `delay` apart make one run, which
   * begins `delay` after the last of them, with the last one's input; each returns its id.
   */
  debounce?: { key: string; delay: Duration }
  /**
   * How long the run may take, from now (on the database's clock): past it, the run stops — a
   * running step's `ctx.signal` aborts —, its completed steps are compensated, a child run it
   * waits for is cancelled, and it ends `failed` with `error.code` `RUN_TIMED_OUT`.
   */
  timeout?: Duration
}

/** Options of `list()`. */
export interface ListOptions {
  workflowName?: string
  status?: RunStatus
  /** Only the runs started with this idempotency key (at most one per workflow). */
  idempotencyKey?: string
  /** Page size, 1–1000. Default 50. */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
}

/** The object `createDurable` returns. */
export interface Durable {
  /**
   * Creates or upgrades the store's and the queue's tables. Idempotent, and safe to run from many
   * processes at once (they migrate one after the other). Until it has run, every other call
   * throws `NOT_MIGRATED`.
   */
  migrate(): Promise<void>
  /**
   * Starts a run; returns its id (a ULID). The run row and its first job commit together.
   * `timeout`: when it passes (on the database's clock), the run stops — a running step's
   * `ctx.signal` aborts —, its completed steps are compensated, a child run it waits for is
   * cancelled, and it ends `failed` with `error.code` `RUN_TIMED_OUT`.
   */
  start<W extends Workflow>(workflow: W | string, input?: WorkflowInput<W>, options?: StartOptions): Promise<string>
  find(runId: string): Promise<RunSnapshot>
  /** Resolves once the run is `completed`, `failed` or `cancelled`. */
  waitFor(runId: string, options?: { timeout?: Duration }): Promise<RunSnapshot>
  list(options?: ListOptions): Promise<{ runs: RunSummary[]; nextCursor?: string }>
  journal(runId: string): Promise<JournalEntry[]>
  /**
   * The signals sent to the run that it has not taken yet, oldest first: a signal sent before
   * the run reaches its `waitForSignal` step is kept until then. Unknown run → `RUN_NOT_FOUND`.
   */
  pendingSignals(runId: string): Promise<PendingSignal[]>
  /** Runs by status and the backlog: runs due now that no worker holds (a growing one means too few workers). */
  stats(): Promise<DurableStats>
  /**
   * Sends a signal to a run: delivered exactly once, to the run's `waitForSignal(name)` step —
   * kept until the run gets there if it is not waiting yet. A finished run → `RUN_NOT_ACTIVE`.
   */
  signal(runId: string, name: string, payload?: unknown): Promise<void>
  /**
   * Cancels a run: a running step's `ctx.signal` is aborted and its result discarded, the
   * finished steps are compensated in reverse, and the run ends `cancelled`.
   */
  cancel(runId: string, options?: { reason?: string }): Promise<void>
  /** Starts a `failed` run again at the step that failed, with a fresh retry budget. */
  retry(runId: string): Promise<void>
  /**
   * Starts many runs of one workflow in one transaction, with their first jobs; returns their
   * ids in the order of `items`. One bad item refuses the whole call and writes nothing; an item
   * whose idempotency key holds a run already gets that run's id.
   */
  startMany<W extends Workflow>(workflow: W | string, items: ReadonlyArray<StartItem & { input?: WorkflowInput<W> }>): Promise<string[]>
  /**
   * Cancels every active run that matches (as `cancel` does each); returns how many. With
   * `dryRun`, cancels none and returns how many match.
   */
  cancelMany(filter?: RunFilter, options?: { reason?: string; dryRun?: boolean }): Promise<{ count: number }>
  /**
   * Retries every `failed` run that matches (as `retry` does each); returns how many. With
   * `dryRun`, retries none and returns how many match.
   */
  retryMany(filter?: Omit<RunFilter, 'status'>, options?: { dryRun?: boolean }): Promise<{ count: number }>
  /**
   * Starts a new run with the same input, of the same registered version or `version`: the
   * top-level steps before `fromStep` keep what the original journaled and do not run again;
   * `fromStep` (default: the original's first step that did not complete) and what follows run
   * anew. The original is not changed. An unknown step or version → `INVALID_INPUT`.
   *
   * ### Example
   * ```ts
   * const newId = await durable.fork(oldId, { fromStep: 'charge', version: '2' })
   * ```
   */
  fork(runId: string, options?: { fromStep?: string; version?: string }): Promise<string>
  /**
   * Deletes the runs that ended (`completed`, `failed`, `cancelled`) more than `olderThan` ago,
   * of `workflowName` if given, with their journals and signals — in bounded batches, never an
   * active run. Returns how many it deleted; with `dryRun`, deletes nothing and says how many it
   * would. Bad options → `INVALID_INPUT`.
   */
  prune(options: PruneOptions): Promise<{ count: number }>
  /**
   * The schedules, by name: this runtime's, and those other processes' workers stored — each
   * with its workflow, cron, next slot after now (on the database's clock) and the run its last
   * started slot made (null before the first).
   */
  schedules(): Promise<ScheduleInfo[]>
  worker(options?: WorkerOptions): DurableWorker
  close(): Promise<void>
}

/** Options of `prune()`. */
export interface PruneOptions {
  /** How long ago a run must have ended to be deleted: `'30d'`, `'12h'`, or ms. */
  olderThan: Duration
  workflowName?: string
  /** Delete nothing; count the runs that would be deleted. */
  dryRun?: boolean
}

/** What `durable.stats()` returns. */
export interface DurableStats {
  readonly byStatus: Readonly<Record<RunStatus, number>>
  readonly total: number
  /** Active runs due now that no live worker holds. */
  readonly due: number
  /** How long the longest-waiting due run has waited, in ms (0 when none waits). */
  readonly dueLagMs: number
  /** Runs a live worker holds now. */
  readonly leased: number
}

/** The most concurrent starts that share one insert; more wait for the next. */
const MAX_STARTS_BATCHED = 500

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']

/**
 * Composes a store, a queue and workflows into the durable runtime.
 *
 * ### Example
 * ```ts
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * const durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [checkout] })
 * await durable.migrate()
 * const runId = await durable.start(checkout, { sku: 'A1', qty: 2 }, { idempotencyKey: 'order-42' })
 * await durable.worker({ concurrency: 16 }).start()
 * const done = await durable.waitFor(runId, { timeout: '1m' })
 * ```
 */
export function createDurable(options: DurableOptions): Durable {
  if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_INPUT', 'createDurable takes { store, queue, workflows }')
  if (typeof options.store?.claimRun !== 'function') throw new DurableError('INVALID_INPUT', 'createDurable needs a store, e.g. postgresStore({ connectionString })')
  if (typeof options.queue?.dispatch !== 'function' || typeof options.queue.consume !== 'function') {
    throw new DurableError('INVALID_INPUT', 'createDurable needs a queue, e.g. postgresQueue({ store })')
  }
  const retention = parseRetention(options.retention)
  if (retention.length > 0 && typeof options.store.pruneRuns !== 'function') {
    throw new DurableError('INVALID_DEFINITION', 'createDurable option retention needs a store that can prune runs (RunStore.pruneRuns); this one cannot')
  }
  const registry = new WorkflowRegistry(options.workflows)
  const schedules = parseSchedules(options.schedules, registry)
  if (schedules.length > 0 && !canSchedule(options.store)) {
    throw new DurableError(
      'INVALID_DEFINITION',
      'createDurable option schedules needs a store that keeps schedules (RunStore.saveSchedules, listSchedules, advanceSchedule); this one cannot',
    )
  }
  const clock = chooseClock(options)
  const runtime: RuntimeContext = {
    store: options.store,
    queue: options.queue,
    registry,
    clock,
    syncClock: clock instanceof DatabaseClock ? () => clock.sync() : async () => {},
    logger: options.logger ?? consoleLogger,
    leaseMs: positive(options.leaseMs ?? 30_000, 'leaseMs'),
    maxPayloadBytes: positive(options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES, 'maxPayloadBytes'),
    retention,
    schedules,
    events: new EventEmitter().setMaxListeners(0),
  }
  return new DurableRuntime(runtime)
}

/**
 * The injected clock, or the database's: leases, due times, sleeps, timeouts and backoff are then
 * measured on one clock by every worker, so one whose own clock is minutes off neither takes
 * over a live lease nor fires a timer early.
 */
function chooseClock(options: DurableOptions): Clock {
  if (options.clock !== undefined) return options.clock
  const store = options.store
  return typeof store.now === 'function' ? new DatabaseClock(() => store.now!()) : systemClock
}

class DurableRuntime implements Durable {
  readonly #rt: RuntimeContext
  readonly #workers = new Set<Worker>()
  readonly #waits: WaitDefinitions

  readonly #starts: Batcher<NewRun, { runId: string; created: boolean }>

  constructor(runtime: RuntimeContext) {
    this.#rt = runtime
    this.#starts = new Batcher(
      (runs) => createWithJobs(runtime, runs),
      (gathered) => gathered.slice(0, MAX_STARTS_BATCHED).map((_, i) => i),
    )
    this.#waits = new WaitDefinitions(runtime.registry, runtime.store)
  }

  async migrate(): Promise<void> {
    const { store, queue } = this.#rt
    // The queue migrates under the store's lock: engines that are not safe against themselves
    // (pg-boss) are then never migrated by two processes at once.
    await store.migrate({ alongside: async () => queue.migrate?.() })
  }

  async start<W extends Workflow>(workflow: W | string, input?: WorkflowInput<W>, options: StartOptions = {}): Promise<string> {
    const { registry, clock, maxPayloadBytes } = this.#rt
    const definition = registry.resolve(workflow)
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_INPUT', 'start options are { idempotencyKey?, priority?, debounce?, timeout? }')
    const idempotencyKey = checkIdempotencyKey(options.idempotencyKey)
    const priority = checkPriority(options.priority, 'start option priority')
    const debounce = checkDebounce(options.debounce)
    if (debounce !== undefined && idempotencyKey !== null)
      throw new DurableError('INVALID_INPUT', 'start takes debounce or idempotencyKey, not both: debounced starts already share one run')
    const name = definition.key.name
    const inputJson = toJsonText(input, `input of workflow "${name}"`, maxPayloadBytes)
    // The keys see the input as stored (and as handlers will): what JSON.parse gives back.
    const flow = runFlow(definition.workflow.flowControl, name, JSON.parse(inputJson), priority)
    const id = ulid()
    await this.#rt.syncClock()
    const now = clock.now()
    const deadlineAt = deadlineOf(options.timeout, now, `start timeout of workflow "${name}"`) ?? null
    const run: NewRun = {
      id,
      ...registry.runFields(definition),
      inputJson,
      state: initialState(definition.workflow, input),
      idempotencyKey,
      parentRunId: null,
      now,
      flow,
      deadlineAt,
      ...(debounce !== undefined ? { debounce: { key: debounce.key, until: new Date(now.getTime() + debounce.delayMs) } } : {}),
    }
    // A run under limits, or one that waits for more starts, goes through a claim: never local.
    const local = debounce === undefined && flow.concurrency === null && flow.rate === null ? this.#localStart() : undefined
    if (local !== undefined) return this.#startLocally(run, local)
    return this.#create(run)
  }

  /**
   * Inserts a run with its first job (in one transaction when the queue allows), due when the
   * run is. Plain starts go through `#starts`: those that come while one insert is in flight share
   * the next one (`createRuns`, one transaction), as step commits share statements.
   */
  async #create(run: NewRun): Promise<string> {
    if (run.debounce === undefined && (run.journal?.length ?? 0) === 0) return (await this.#starts.add(run)).runId
    const { store, queue, registry } = this.#rt
    const job = { runId: run.id, ...(run.debounce !== undefined ? { runAt: run.debounce.until } : {}) }
    const { runId, created } = await store.createRun(run, queue.transactional ? (tx) => queue.dispatch(job, { transaction: tx }) : undefined)
    if (run.shapeHash !== null) registry.shapeStored(run.shapeHash)
    // Not transactional: a crash right here leaves the run without a job; the reconciler finds it.
    // A debounced start merged into a pending run: that run's job wakes it, sees the later due
    // time, and asks for a wake-up then.
    if (created && !queue.transactional) await queue.dispatch(job)
    return runId
  }

  /**
   * A worker of this process has a free slot: the run is created leased to it and driven here at
   * once — no queue hop, no claim, and no job: one INSERT. Should this process die, the run is
   * due (since its creation) under a lease whose holder is gone, so the reconcilers of the other
   * workers find it — within about two seconds on PostgreSQL (worker liveness), else once the
   * lease expires — and dispatch it.
   */
  async #startLocally(run: NewRun, local: LocalStart): Promise<string> {
    const { store, leaseMs } = this.#rt
    const lease = { owner: local.owner, until: new Date(run.now.getTime() + leaseMs) }
    let created: { runId: string; created: boolean }
    try {
      created = await store.createRun({ ...run, lease })
      if (run.shapeHash !== null) this.#rt.registry.shapeStored(run.shapeHash)
    } catch (error) {
      local.release()
      // The INSERT may have committed (only its reply lost): free the run for the reconcilers rather than hold it unseen.
      await store.releaseLeases(local.owner, [run.id]).catch(() => {})
      throw error
    }
    if (!created.created) {
      local.release()
      return created.runId
    }
    const { now } = run
    local.drive({
      id: run.id,
      workflowName: run.workflowName,
      workflowVersion: run.workflowVersion,
      shapeHash: run.shapeHash,
      status: 'running',
      input: JSON.parse(run.inputJson) as Json,
      state: run.state,
      error: null,
      parentRunId: null,
      idempotencyKey: run.idempotencyKey,
      dueAt: now,
      leaseOwner: lease.owner,
      leaseExpiresAt: lease.until,
      createdAt: now,
      updatedAt: now,
      cancelRequest: null,
      deadlineAt: run.deadlineAt ?? null,
    })
    return run.id
  }

  /** A free slot of a worker started in this process, if any. */
  #localStart(): LocalStart | undefined {
    for (const worker of this.#workers) {
      const slot = worker.reserveLocalStart()
      if (slot !== undefined) return slot
    }
    return undefined
  }

  async find(runId: string): Promise<RunSnapshot> {
    const run = await this.#rt.store.getRun(checkRunId(runId))
    if (run === undefined) throw new RunNotFoundError(runId)
    const [results, definition] = await Promise.all([this.#rt.store.loadResults(runId), this.#waits.of(run)])
    return toSnapshot(run, runResults(results), definition)
  }

  async waitFor(runId: string, options: { timeout?: Duration } = {}): Promise<RunSnapshot> {
    checkRunId(runId)
    const timeoutMs = options?.timeout === undefined ? Number.POSITIVE_INFINITY : parseDuration(options.timeout, 'waitFor timeout', 'INVALID_INPUT')
    const deadline = Date.now() + timeoutMs
    let pause = 10
    for (;;) {
      const run = await this.#rt.store.getRun(runId)
      if (run === undefined) throw new RunNotFoundError(runId)
      if (isTerminal(run.status)) return toSnapshot(run, runResults(await this.#rt.store.loadResults(runId)))
      const left = deadline - Date.now()
      if (left <= 0) throw new DurableError('WAIT_TIMEOUT', `run "${runId}" is still ${run.status} after waiting ${timeoutMs} ms`)
      const ended = await this.#endedOrTimeout(runId, Math.min(pause, left))
      if (ended !== undefined) return ended
      pause = Math.min(pause * 2, 500)
    }
  }

  /**
   * Waits for this process to end the run, or `ms`, whichever comes first. The worker that ended
   * the run hands over its final snapshot (once committed), which saves reading it back.
   */
  #endedOrTimeout(runId: string, ms: number): Promise<RunSnapshot | undefined> {
    return new Promise((resolve) => {
      const onEnded = (ended: string, snapshot?: RunSnapshot) => {
        if (ended === runId) done(snapshot)
      }
      const timer = setTimeout(() => done(), ms)
      const done = (snapshot?: RunSnapshot) => {
        clearTimeout(timer)
        this.#rt.events.off('ended', onEnded)
        resolve(snapshot)
      }
      this.#rt.events.on('ended', onEnded)
    })
  }

  async list(options: ListOptions = {}): Promise<{ runs: RunSummary[]; nextCursor?: string }> {
    const limit = options.limit ?? 50
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new DurableError('INVALID_INPUT', `list limit must be a whole number from 1 to 1000, got ${describeValue(limit)}`)
    checkStatus(options.status, 'list status')
    if (options.workflowName !== undefined && typeof options.workflowName !== 'string') throw new DurableError('INVALID_INPUT', 'list workflowName must be a string')
    if (options.idempotencyKey !== undefined && typeof options.idempotencyKey !== 'string') throw new DurableError('INVALID_INPUT', 'list idempotencyKey must be a string')
    if (options.cursor !== undefined && typeof options.cursor !== 'string') throw new DurableError('INVALID_INPUT', 'list cursor must be the nextCursor of a previous page')
    const page = await this.#rt.store.listRuns({ ...options, limit })
    const definitions = await this.#waits.all(page.runs)
    return { runs: page.runs.map((run, i) => toSummary(run, definitions[i])), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) }
  }

  async stats(): Promise<DurableStats> {
    await this.#rt.syncClock()
    const now = this.#rt.clock.now()
    const stats = await this.#rt.store.stats(now)
    const total = Object.values(stats.byStatus).reduce((sum, n) => sum + n, 0)
    const dueLagMs = stats.oldestDueAt === null ? 0 : Math.max(0, now.getTime() - stats.oldestDueAt.getTime())
    return { byStatus: stats.byStatus, total, due: stats.due, dueLagMs, leased: stats.leased }
  }

  async journal(runId: string): Promise<JournalEntry[]> {
    const run = await this.#rt.store.getRun(checkRunId(runId))
    if (run === undefined) throw new RunNotFoundError(runId)
    return this.#rt.store.journal(runId)
  }

  async pendingSignals(runId: string): Promise<PendingSignal[]> {
    const run = await this.#rt.store.getRun(checkRunId(runId))
    if (run === undefined) throw new RunNotFoundError(runId)
    return this.#rt.store.pendingSignals(runId)
  }

  async signal(runId: string, name: string, payload?: unknown): Promise<void> {
    checkRunId(runId)
    if (typeof name !== 'string' || name.length === 0 || name.length > 200 || name.includes('\u0000') || !name.isWellFormed()) {
      throw new DurableError('INVALID_INPUT', 'a signal name is a non-empty string of at most 200 characters, without \\u0000 or lone surrogates')
    }
    const payloadJson = toJsonText(payload, `payload of signal "${name}" for run "${runId}"`, this.#rt.maxPayloadBytes)
    await this.#rt.syncClock()
    const now = this.#rt.clock.now()
    await this.#change(runId, now, (run) => {
      if (isTerminal(run.status)) throw new RunNotActiveError(runId, run.status, `signal "${name}" to`)
      // Checked against the definition the run started with, when this process has it.
      const workflow = this.#rt.registry.forRun(run)?.workflow
      const waitsFor = workflow === undefined ? undefined : signalNames(workflow)
      if (waitsFor !== undefined && !waitsFor.includes(name)) {
        throw new DurableError(
          'INVALID_INPUT',
          `run "${runId}" of workflow "${run.workflowName}" waits for no signal "${name}": ${waitsFor.length === 0 ? 'it waits for no signal at all' : `it waits for ${waitsFor.map((n) => `"${n}"`).join(', ')}`}`,
        )
      }
      // A parked run is due at once; a leased one finds the signal when it reaches the wait.
      const parked = run.status === 'waiting' && (run.leaseOwner === null || (run.leaseExpiresAt?.getTime() ?? 0) <= now.getTime())
      return { signal: { name, payloadJson }, ...(parked ? { dueAt: now } : {}) }
    })
  }

  async cancel(runId: string, options: { reason?: string } = {}): Promise<void> {
    checkRunId(runId)
    const reason = options?.reason
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1000 || reason.includes('\u0000') || !reason.isWellFormed())) {
      throw new DurableError('INVALID_INPUT', 'a cancel reason is a string of at most 1000 characters, without \\u0000 or lone surrogates')
    }
    await requestCancel(this.#rt, runId, reason)
  }

  startMany<W extends Workflow>(workflow: W | string, items: ReadonlyArray<StartItem & { input?: WorkflowInput<W> }>): Promise<string[]> {
    return startMany(this.#rt, workflow, items, checkIdempotencyKey)
  }

  async cancelMany(filter: RunFilter = {}, options: { reason?: string; dryRun?: boolean } = {}): Promise<{ count: number }> {
    checkStatus(filter?.status, 'cancelMany status')
    const dryRun = checkDryRun(options, 'cancelMany')
    const { reason } = options
    // Only active runs can be cancelled: without a status, each active one in turn. An ended
    // status matches runs, none of which can be cancelled: count none, even on a dry run.
    if (filter?.status !== undefined && isTerminal(filter.status)) return { count: 0 }
    const statuses: readonly RunStatus[] = filter?.status !== undefined ? [filter.status] : ['pending', 'running', 'waiting', 'compensating']
    let count = 0
    for (const status of statuses) count += await forEachRun(this.#rt, { ...filter, status }, (runId) => this.cancel(runId, reason === undefined ? {} : { reason }), dryRun)
    return { count }
  }

  async retryMany(filter: Omit<RunFilter, 'status'> = {}, options: { dryRun?: boolean } = {}): Promise<{ count: number }> {
    const dryRun = checkDryRun(options, 'retryMany')
    return { count: await forEachRun(this.#rt, { ...filter, status: 'failed' }, (runId) => this.retry(runId), dryRun) }
  }

  async retry(runId: string): Promise<void> {
    checkRunId(runId)
    await this.#rt.syncClock()
    const now = this.#rt.clock.now()
    // Asked here, done by the worker that claims the run next: the same path as cancel and signal.
    await this.#change(runId, now, (run) => {
      if (run.status !== 'failed') throw new RunNotActiveError(runId, run.status, 'retry')
      if (!retryable(run.state)) throw new RunNotActiveError(runId, run.status, 'retry (it has no failed step to resume)')
      return { retryRequest: true, dueAt: now, revokeLease: true }
    })
  }

  async fork(runId: string, options: { fromStep?: string; version?: string } = {}): Promise<string> {
    checkRunId(runId)
    const { store, registry, clock } = this.#rt
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_INPUT', 'fork options are { fromStep?, version? }')
    const { fromStep, version } = options
    if (fromStep !== undefined && typeof fromStep !== 'string') throw new DurableError('INVALID_INPUT', `fork fromStep must be a step name, got ${describeValue(fromStep)}`)
    if (version !== undefined && typeof version !== 'string') throw new DurableError('INVALID_INPUT', `fork version must be a string, got ${describeValue(version)}`)
    const run = await store.getRun(runId)
    if (run === undefined) throw new RunNotFoundError(runId)
    const target = version === undefined ? registry.forRun(run) : registry.version(run.workflowName, version)
    if (target === undefined) {
      if (version === undefined) throw notDrivable(run)
      const known = registry.versionsOf(run.workflowName).map((d) => describeVersion(d.key.version))
      throw new DurableError('INVALID_INPUT', `fork version "${version}" of workflow "${run.workflowName}" is not registered (registered: ${known.join(', ') || 'none'})`)
    }
    const journal = await store.journal(runId)
    const plan = planFork(
      target.workflow,
      journal.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
      fromStep,
    )
    return this.#create({
      id: ulid(),
      ...registry.runFields(target),
      inputJson: JSON.stringify(run.input),
      state: plan.state,
      idempotencyKey: null,
      parentRunId: null,
      now: clock.now(),
      flow: runFlow(target.workflow.flowControl, run.workflowName, run.input, run.flow?.priority ?? 0),
      // The copies keep the original's times: the fork's journal replays to the fork's state.
      journal: plan.entries.map(({ stepKey, stepName, kind, attempt, result, error, createdAt }) => ({
        stepKey,
        stepName,
        kind,
        attempt,
        createdAt: new Date(createdAt),
        ...(result !== undefined ? { resultJson: JSON.stringify(result) } : {}),
        ...(error !== undefined ? { error } : {}),
      })),
    })
  }

  /** Changes a run under its row lock and wakes it, in one transaction when the queue allows. */
  #change(runId: string, now: Date, decide: Parameters<RunStore['changeRun']>[2]): Promise<RunRecord> {
    return changeAndWake(this.#rt, runId, now, decide)
  }

  async prune(options: PruneOptions): Promise<{ count: number }> {
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_INPUT', "prune takes { olderThan, workflowName? }, e.g. prune({ olderThan: '30d' })")
    const olderThanMs = parseDuration(options.olderThan, 'prune olderThan', 'INVALID_INPUT')
    const { workflowName, dryRun } = options
    if (workflowName !== undefined && (typeof workflowName !== 'string' || workflowName.length === 0)) {
      throw new DurableError('INVALID_INPUT', `prune workflowName must be a non-empty string, got ${describeValue(workflowName)}`)
    }
    if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new DurableError('INVALID_INPUT', `prune dryRun must be a boolean, got ${describeValue(dryRun)}`)
    const { store, clock } = this.#rt
    if (store.pruneRuns === undefined) throw new DurableError('INVALID_INPUT', 'this store cannot prune runs (it has no pruneRuns)')
    const endedBefore = new Date(clock.now().getTime() - olderThanMs)
    if (!Number.isFinite(endedBefore.getTime())) throw new DurableError('INVALID_INPUT', `prune olderThan is too long: ${describeValue(options.olderThan)}`)
    const query = { endedBefore, ...(workflowName !== undefined ? { workflowName } : {}) }
    if (dryRun === true) return { count: await store.pruneRuns({ ...query, limit: PRUNE_BATCH, dryRun: true }) }
    return { count: await pruneInBatches(this.#rt, query) }
  }

  async schedules(): Promise<ScheduleInfo[]> {
    const { store, schedules } = this.#rt
    const stored = canSchedule(store) ? await store.listSchedules() : []
    await this.#rt.syncClock()
    const now = this.#rt.clock.now()
    const lastRuns = new Map(stored.map((row) => [row.name, row.lastRunId]))
    const own = schedules.map(({ name, workflowName, cron, slots }) => ({ name, workflowName, cron, nextAt: slots.nextRun(now), lastRunId: lastRuns.get(name) ?? null }))
    const ownNames = new Set(schedules.map((s) => s.name))
    // Stored by workers of other processes (the CLI defines none): read from their rows.
    const others = stored
      .filter((row) => !ownNames.has(row.name))
      .map(({ name, workflowName, cron, timezone, lastRunId }) => ({ name, workflowName, cron, nextAt: nextSlot(cron, timezone, now), lastRunId }))
    return [...own, ...others].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  worker(options?: WorkerOptions): DurableWorker {
    const worker = new Worker(this.#rt, options)
    this.#workers.add(worker)
    return worker
  }

  async close(): Promise<void> {
    await Promise.all([...this.#workers].map((w) => w.stop()))
    this.#workers.clear()
    await this.#rt.queue.close?.()
    await this.#rt.store.close()
  }
}

function checkRunId(runId: unknown): string {
  if (typeof runId !== 'string' || runId.length === 0 || runId.length > 100) {
    throw new DurableError(
      'INVALID_INPUT',
      `a run id is a non-empty string of at most 100 characters, got ${typeof runId === 'string' ? JSON.stringify(runId.slice(0, 40)) : typeof runId}`,
    )
  }
  return runId
}

function checkIdempotencyKey(key: unknown): string | null {
  if (key === undefined || key === null) return null
  if (typeof key !== 'string' || key.length === 0 || key.length > 500 || key.includes('\u0000') || !key.isWellFormed()) {
    throw new DurableError('INVALID_INPUT', 'idempotencyKey must be a non-empty string of at most 500 characters without \\u0000')
  }
  return key
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new DurableError('INVALID_INPUT', `createDurable option ${name} must be a positive number, got ${describeValue(value)}`)
  }
  return value
}

/** Refusal of an action on a run whose definition this process does not have. */
function notDrivable(run: RunRecord): DurableError {
  return new DurableError(
    'WORKFLOW_NOT_REGISTERED',
    `run "${run.id}" started with workflow "${run.workflowName}" version ${describeVersion(run.workflowVersion)} and its steps then; this process does not have that definition: pass it in createDurable({ workflows: [...] })`,
  )
}

/** The next slot of a stored schedule after `now`; null when it has none, or this code cannot read its cron. */
function nextSlot(cron: string, timezone: string, now: Date): Date | null {
  try {
    return parseCron(cron, timezone).nextRun(now)
  } catch {
    return null
  }
}

function checkStatus(status: unknown, what: string): void {
  if (status !== undefined && !STATUSES.includes(status as RunStatus))
    throw new DurableError('INVALID_INPUT', `${what} must be one of ${STATUSES.join(', ')}, got ${describeValue(status)}`)
}

/** `start`'s `debounce` option, checked: a non-empty key and a delay above 0 → else `INVALID_INPUT`. */
function checkDebounce(value: unknown): { key: string; delayMs: number } | undefined {
  if (value === undefined) return undefined
  const { key, delay } = (typeof value === 'object' && value !== null ? value : {}) as { key?: unknown; delay?: unknown }
  if (typeof key !== 'string' || key.length === 0 || key.length > 500 || key.includes('\u0000') || !key.isWellFormed()) {
    throw new DurableError('INVALID_INPUT', `start option debounce must be { key: string, delay: Duration } with a non-empty key, got ${describeValue(value)}`)
  }
  let delayMs: number
  try {
    delayMs = parseDuration(delay as Duration, 'debounce delay')
  } catch (error) {
    throw new DurableError('INVALID_INPUT', `start option debounce.delay: ${(error as Error).message}`, { cause: error })
  }
  if (delayMs <= 0) throw new DurableError('INVALID_INPUT', `start option debounce.delay must be more than 0, got ${describeValue(delay)}`)
  return { key, delayMs }
}
