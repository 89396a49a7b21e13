import type { Json } from './json.js'
import type { ResultEntry } from './results.js'
import type {
  ClaimResult,
  DefinitionKey,
  JournalEntry,
  ListRunsQuery,
  NewRun,
  PendingSignal,
  PruneRunsQuery,
  RunChange,
  RunRecord,
  RunStats,
  RunUpdate,
  ScheduleAdvance,
  ScheduleRecord,
  WorkerLiveness,
} from './run-store.js'
import type { StoreTransaction } from './step-context.js'

/*
 * The roles a run store plays, each a small interface in the way Kysely splits a dialect into a
 * driver, an adapter and a query compiler. `RunStore` is their intersection: a backend implements
 * all six (the optional members where it can) and, to run `schedules`, the seventh
 * ({@link ScheduleStore}); a part of the runtime, or a test double, can depend on just the role
 * it uses.
 *
 * Every member that takes a `tx` runs inside that transaction of `StoreLifecycle.transaction`
 * when it is given, and on its own otherwise.
 */

/**
 * Run rows: creating them (one, or several at once, with idempotency keys), reading them one at
 * a time or by pages, and deleting the ones that ended long ago.
 *
 * ### Example
 * ```ts
 * const { runId, created } = await store.createRun(newRun)
 * const run = await store.getRun(runId)
 * ```
 */
export interface RunRepository {
  /**
   * Inserts a run, due at `run.now` (and already leased when `run.lease` is given), or returns the
   * id of the run of the same workflow that already holds its idempotency key (`created: false`).
   * `inTransaction` runs in the insert's transaction, only when a run was created: if it throws,
   * nothing is written. A run id that exists already is refused (throws). A definition's first
   * run keeps `run.shape` under its hash (see `JournalStore.loadShape`).
   */
  createRun(run: NewRun, inTransaction?: (tx: StoreTransaction) => Promise<void>): Promise<{ runId: string; created: boolean }>
  /**
   * Inserts several runs in one transaction, in order; each one whose idempotency key holds a
   * run already (an earlier one of the same call included) gets that run's id instead.
   * `inTransaction` gets the ids created, before commit: if it throws, nothing is written.
   */
  createRuns(runs: readonly NewRun[], inTransaction?: (tx: StoreTransaction, created: readonly string[]) => Promise<void>): Promise<Array<{ runId: string; created: boolean }>>
  /** The run as stored (as `tx` sees it, when given), or undefined when there is none. */
  getRun(runId: string, tx?: StoreTransaction): Promise<RunRecord | undefined>
  /**
   * Runs newest first (by id: ids are ULIDs), filtered by workflow, status and creation time.
   * `cursor` is the `nextCursor` of the previous page; `nextCursor` is set only when more runs
   * follow. A `limit` that is not a positive integer → `INVALID_INPUT`.
   */
  listRuns(query: ListRunsQuery): Promise<{ runs: RunRecord[]; nextCursor?: string }>
  /**
   * Optional: deletes up to `limit` ended runs that match, with their journals and signals, in
   * one statement; never an active run. Returns how many it deleted (with `dryRun`: how many
   * match). Without it, `prune()` is refused.
   */
  pruneRuns?(query: PruneRunsQuery): Promise<number>
}

/**
 * Leases: which worker holds a run. A lease is taken by a claim, kept by renewal, and given back
 * by a release or by a fenced update with `leaseUntil: null` (see {@link JournalStore}). A lease
 * is live until it expires — or, on a store with {@link WorkerCoordination.holdLiveness}, until
 * its holder is seen dead.
 *
 * ### Example
 * ```ts
 * const claim = await store.claimRun(runId, { owner, now, leaseUntil, definitions })
 * if (!claim.claimed) console.log(claim.reason) // 'missing' | 'ended' | 'unregistered' | 'leased' | 'notDue'
 * ```
 */
export interface LeaseStore {
  /**
   * Takes the lease of a run that exists, is active, was started with one of `definitions`
   * (name, version and shape hash; a run without a shape hash matches any shape of its name and
   * version), is due by `now`, and is not leased by a live worker — atomically. A pending run
   * becomes running. A refusal says why, checked in this order: `missing`, `ended`,
   * `unregistered`, `leased`, `notDue`; then flow control (see `ClaimResult`): `outranked` when a
   * due, free run of `definitions` has a higher priority; `limited` when the run's concurrency
   * key has `limit` runs held by live workers (the run is marked held back), or, at its first
   * claim, when `limit` runs of its rate key began in the last `period` (it then reserves the
   * next free slot, and is due then).
   */
  claimRun(runId: string, claim: { owner: string; now: Date; leaseUntil: Date; definitions: readonly DefinitionKey[] }): Promise<ClaimResult>
  /** Extends, to `until`, the leases `owner` still holds among `runIds`; returns those ids. */
  renewLeases(owner: string, runIds: readonly string[], until: Date): Promise<string[]>
  /** Gives back the leases `owner` holds among `runIds`, leaving the runs as they are, so another worker can continue at once. */
  releaseLeases(owner: string, runIds: readonly string[]): Promise<void>
  /**
   * Ids of active runs of `definitions` that are due by `now` and not leased by a live worker,
   * highest priority first, then most overdue (by due time, then id), at most `limit` (for the
   * reconciler). A run held back by its concurrency limit is left out until `FLOW_RECHECK_MS`
   * after it was held back (its key's next free slot normally wakes it sooner).
   *
   * With `heldBackOn`: only the runs held back on that concurrency key, as many as it has free
   * slots (`limit` less the runs live workers hold), in the same order — those to wake when a
   * run of the key gives its slot back.
   */
  findDueRuns(query: {
    now: Date
    definitions: readonly DefinitionKey[]
    limit: number
    heldBackOn?: { readonly workflowName: string; readonly concurrencyKey: string }
  }): Promise<string[]>
  /**
   * Runs by status, and the backlog with the predicate of `findDueRuns`: active runs due by `now`
   * that no live worker holds; `leased` counts the runs live workers hold.
   */
  stats(now: Date): Promise<RunStats>
}

/**
 * The journal: a run's entries, numbered 1, 2, 3… per run without gaps, appended only by the
 * fenced update of the worker that holds the run's lease. A step (or its compensation) completes
 * in the journal at most once: a second `step_completed` or `compensated` of one step key throws.
 *
 * ### Example
 * ```ts
 * const held = await store.updateRun({ runId, owner, state, dueAt, leaseUntil, now, journal: entry })
 * if (!held) return // another worker took the run over: discard this result
 * ```
 */
export interface JournalStore {
  /**
   * Applies a fenced update — state, status, error, due time, lease — and appends its journal
   * entries in order, while `update.owner` still holds the lease; returns false, changing nothing,
   * when it does not. All or nothing: an entry that breaks the journal's uniqueness throws and
   * nothing of the update is applied. In `tx`, a refused update also makes that transaction
   * roll back at its end (see `StoreLifecycle.transaction`).
   */
  updateRun(update: RunUpdate, tx?: StoreTransaction): Promise<boolean>
  /**
   * `updateRun` for many runs at once — a worker's group commit — in one statement: each update
   * is fenced on its own run, so a run whose lease was lost is refused alone while the others
   * apply. Returns, in order, whether each held. At most one update per run (`INVALID_INPUT`
   * otherwise). A failure (a broken uniqueness, a lost connection) applies none of them.
   */
  updateRuns(updates: readonly RunUpdate[], tx?: StoreTransaction): Promise<boolean[]>
  /** The run's entries of `RESULT_KINDS` (they carry step results), in journal order. */
  loadResults(runId: string): Promise<ResultEntry[]>
  /** Every journal entry of the run, in `seq` order; empty for an unknown run. */
  journal(runId: string): Promise<JournalEntry[]>
  /** The text of a definition's shape recorded by `createRun`, by its hash; undefined when none was. */
  loadShape(hash: string): Promise<string | undefined>
}

/**
 * Changes made by someone who does not hold the run's lease — a signal, a cancel, a retry — and
 * the signals a waiting run takes, each consumed exactly once; those not taken yet can be listed.
 *
 * ### Example
 * ```ts
 * await store.changeRun(runId, now, (run) => ({ signal: { name: 'approved', payloadJson: '{}' }, dueAt: now }))
 * ```
 */
export interface SignalStore {
  /**
   * Locks the run, asks `decide` what to change — it may throw to refuse, and nothing is
   * written — applies the change (and its journal entry, with the run's next `seq`), then calls
   * `inTransaction` (to dispatch a job) before committing; all of it atomically. Returns the run
   * as it was before the change, or undefined when there is no such run (`decide` is not called).
   */
  changeRun(runId: string, now: Date, decide: (run: RunRecord) => RunChange, inTransaction?: (tx: StoreTransaction) => Promise<void>): Promise<RunRecord | undefined>
  /** The oldest signal named `name` that the run has not consumed yet. */
  takeSignal(runId: string, name: string, tx?: StoreTransaction): Promise<{ id: string; payload: Json } | undefined>
  /** Marks a signal consumed; false when it already was (it must then not be delivered again). */
  consumeSignal(signalId: string, now: Date, tx?: StoreTransaction): Promise<boolean>
  /** Every signal the run has not consumed yet, in the order they were kept (the order `takeSignal` hands out those of one name); empty for an unknown run. */
  pendingSignals(runId: string): Promise<PendingSignal[]>
}

/**
 * Setting the store up, running several calls as one transaction, and closing it.
 *
 * ### Example
 * ```ts
 * await store.migrate()
 * await store.transaction(async (tx) => { await store.updateRun(update, tx) })
 * await store.close()
 * ```
 */
export interface StoreLifecycle {
  /**
   * Creates or upgrades the store's tables; idempotent. `options.alongside` (the queue's
   * migrations) runs after them, under the same lock where the store has one: processes
   * migrating one database at once then migrate one after the other.
   */
  migrate(options?: { alongside?: () => Promise<void> }): Promise<void>
  /**
   * Optional: throws `NOT_MIGRATED` when the tables are missing or older than this code. Called
   * once, when a worker starts; other calls learn it from the error of their query.
   */
  assertMigrated?(): Promise<void>
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws — and
   * also rolled back, though `fn`'s result is returned, when a fenced `updateRun` in it was
   * refused, so a worker that lost its lease commits none of the transaction's writes.
   */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>
  /** Releases connections; the store is not used after. Idempotent. */
  close(): Promise<void>
}

/**
 * Optional powers that let many workers agree: on the time (the database's clock) and on who is
 * alive (a worker's liveness). A store without them still works: the runtime then uses its
 * process's clock, and a dead worker's runs wait for their leases to expire.
 *
 * ### Example
 * ```ts
 * const liveness = await store.holdLiveness?.(`${workerId}${LIVE_OWNER_MARK}`)
 * const now = (await store.now?.()) ?? new Date()
 * ```
 */
export interface WorkerCoordination {
  /**
   * Optional: the time on the database's clock. The runtime measures leases, due times, sleeps,
   * timeouts and backoff on it, so that workers whose own clocks disagree still agree on them.
   * Without it, the runtime uses the clock of its process.
   */
  now?(): Promise<Date>
  /**
   * Optional: shows other workers that `owner` (a worker id ending with `LIVE_OWNER_MARK`) is
   * alive, until `release()` or until its process dies. `claimRun`, `findDueRuns` and `stats`
   * then treat the unexpired leases of such an owner that died as free, so its runs are taken
   * over within seconds rather than when its leases expire. Resolves after a first try, held or
   * not — the database may be down — and keeps trying; `alive` says whether it holds. Without
   * it, a dead worker's runs wait for their leases to expire.
   */
  holdLiveness?(owner: string): Promise<WorkerLiveness>
}

/**
 * The state of `createDurable`'s `schedules`, shared by every worker: each schedule's definition
 * (as the last worker to start saw it, for `durable schedules` and the dashboard), the last slot
 * handled and the run it started. Workers move a schedule on with a compare-and-set, so two of
 * them never both start one slot. Optional on a `RunStore`: without it, `schedules` is refused.
 *
 * ### Example
 * ```ts
 * await store.saveSchedules([{ name: 'nightly', workflowName: 'report', cron: '0 3 * * *', timezone: 'UTC', catchUp: 'latest' }], now)
 * const moved = await store.advanceSchedule({ name: 'nightly', from: lastSlotAt, to: slot, runId })
 * ```
 */
export interface ScheduleStore {
  /**
   * Records each schedule's definition: a schedule not stored yet starts with `lastSlotAt = now`
   * (no slot before it is due) and no run; one stored already keeps its `lastSlotAt` and
   * `lastRunId`, its definition columns replaced. Idempotent; many workers may call it at once.
   */
  saveSchedules(schedules: readonly ScheduleDefinitionRecord[], now: Date): Promise<void>
  /** Every stored schedule, by name. */
  listSchedules(): Promise<ScheduleRecord[]>
  /**
   * Compare-and-set: sets the schedule's `lastSlotAt` to `advance.to` (and `lastRunId` to
   * `advance.runId` when given) only if it is still `advance.from`; returns whether it was.
   * In `tx` (a `createRun` callback), the schedule moves on only if the run commits.
   */
  advanceSchedule(advance: ScheduleAdvance, tx?: StoreTransaction): Promise<boolean>
}

/** A schedule's definition as `ScheduleStore.saveSchedules` keeps it. */
export type ScheduleDefinitionRecord = Pick<ScheduleRecord, 'name' | 'workflowName' | 'cron' | 'timezone' | 'catchUp'>
