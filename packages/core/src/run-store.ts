import type { StepError } from './errors.js'
import type { Json } from './json.js'
import type { ResultEntry } from './results.js'
import type { JournalKind, RunError, RunState, RunStatus } from './run-state.js'
import type { StoreTransaction } from './step-context.js'

/**
 * Which definition drives a run: the workflow's name, its `version` (null when it has none) and
 * the hash of its shape (see `workflowShape`). A worker drives only runs whose definition it
 * has registered.
 */
export interface DefinitionKey {
  readonly name: string
  readonly version: string | null
  readonly shapeHash: string
}

/** A run to insert. JSON arrives as text the provider has already validated. */
export interface NewRun {
  readonly id: string
  readonly workflowName: string
  readonly workflowVersion: string | null
  /** Null only for a child run of a workflow the starting process does not have: any definition of its name and version may drive it. */
  readonly shapeHash: string | null
  /** The shape's text, to keep once beside its hash (the first start of a definition brings it). */
  readonly shape?: string
  /** Entries the run starts with (a fork's copies of the original's), appended with seq 1, 2, … */
  readonly journal?: readonly NewJournalEntry[]
  readonly inputJson: string
  readonly state: RunState
  readonly idempotencyKey: string | null
  readonly parentRunId: string | null
  readonly now: Date
  /** Create the run already leased (and running): the starting process drives it itself, with no job. */
  readonly lease?: { readonly owner: string; readonly until: Date }
}

/** A run as stored. */
export interface RunRecord {
  readonly id: string
  readonly workflowName: string
  /** The version of the definition the run started with; null when it had none. */
  readonly workflowVersion: string | null
  /** The hash of that definition's shape; null for runs started before shapes were recorded. */
  readonly shapeHash: string | null
  readonly status: RunStatus
  readonly input: Json
  readonly state: RunState
  readonly error: RunError | null
  readonly parentRunId: string | null
  readonly idempotencyKey: string | null
  /** When the run next needs a worker; null when nothing is due (ended, or waiting on the outside). */
  readonly dueAt: Date | null
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
  /** Set once `cancel()` was called: the next worker to hold the run rolls it back. */
  readonly cancelRequest?: { readonly reason: string | null } | null
}

/** A change made under the run's row lock by someone who does not hold its lease (signal, cancel, retry). */
export interface RunChange {
  readonly state?: RunState
  readonly dueAt?: Date | null
  /** Take the lease away from whoever holds it: their next commit is refused. */
  readonly revokeLease?: boolean
  readonly cancelRequest?: { readonly reason: string | null }
  readonly journal?: NewJournalEntry
  /** A signal to keep until the run takes it. */
  readonly signal?: { readonly name: string; readonly payloadJson: string }
}

/** A journal entry as stored. `seq` orders a run's entries; clock time never does. */
export interface JournalEntry {
  readonly seq: number
  readonly stepKey: string
  readonly stepName: string
  readonly kind: JournalKind
  readonly attempt: number
  readonly result?: Json
  readonly error?: StepError
  readonly createdAt: Date
}

/** A journal entry to append; `resultJson` is validated JSON text. */
export interface NewJournalEntry {
  readonly stepKey: string
  readonly stepName: string
  readonly kind: JournalKind
  readonly attempt: number
  readonly resultJson?: string
  readonly error?: StepError
}

/** Outcome of `claimRun`. */
export type ClaimResult =
  | { readonly claimed: true; readonly run: RunRecord; /** The previous holder's lease ran out: it died mid-try. */ readonly previousLeaseExpired: boolean }
  | { readonly claimed: false; readonly reason: 'missing' | 'ended' | 'unregistered' | 'leased' | 'notDue'; readonly dueAt: Date | null }

/** A fenced change to a run: applied only while `owner` still holds the lease. */
export interface RunUpdate {
  readonly runId: string
  readonly owner: string
  readonly state: RunState
  /** Value of the run's due time (see `RunRecord.dueAt`). */
  readonly dueAt: Date | null
  /** Keep the lease until this instant, or give it back with null. */
  readonly leaseUntil: Date | null
  readonly now: Date
  /** Appended in order with the update; several when one transition journals several (a crash in a parallel node). */
  readonly journal?: NewJournalEntry | readonly NewJournalEntry[]
  /** Another run to make due now if it is waiting (a parent, when its child ends). */
  readonly wake?: string
}

/** Counts of runs, from `stats`. */
export interface RunStats {
  readonly byStatus: Readonly<Record<RunStatus, number>>
  /** Active runs due by now that no live worker holds: work waiting for a worker. */
  readonly due: number
  /** When the longest-waiting of those became due. */
  readonly oldestDueAt: Date | null
  /** Runs a live worker holds now. */
  readonly leased: number
}

/**
 * Lease owners whose id ends with this mark hold liveness while they live
 * (`RunStore.holdLiveness`): a store that supports it treats their unexpired leases as free as
 * soon as they die. A lease of any other owner is held until it expires — so a worker whose
 * store cannot show its liveness (PGlite, a store built from your own Kysely) never loses a live
 * lease to a worker that can.
 */
export const LIVE_OWNER_MARK = '+live'

/** A worker's liveness, held by the store while the worker runs (see `RunStore.holdLiveness`). */
export interface WorkerLiveness {
  /**
   * True while the database sees this worker alive. False while its dedicated connection is
   * lost (a restart, a network cut): other workers may then take its runs over, so it must not
   * claim new ones until this is true again — the store reconnects by itself.
   */
  readonly alive: boolean
  /** Ends it (the worker stops): its remaining leases count as a dead worker's. Idempotent. */
  release(): Promise<void>
}

/** Filters of `listRuns`. */
export interface ListRunsQuery {
  readonly workflowName?: string
  readonly status?: RunStatus
  /** Only runs created before this instant. */
  readonly createdBefore?: Date
  readonly limit: number
  readonly cursor?: string
}

/** Which runs `pruneRuns` deletes: ended (`completed`, `failed`, `cancelled`) before `endedBefore`. */
export interface PruneRunsQuery {
  readonly endedBefore: Date
  readonly workflowName?: string
  /** Most runs deleted by this call: one bounded batch. */
  readonly limit: number
  /** Delete nothing: count every run that matches (no `limit`). */
  readonly dryRun?: boolean
}

/**
 * Where runs and their journals live. `@durable/store-postgres` implements it; the provider
 * depends only on this interface.
 */
export interface RunStore {
  /**
   * Creates or upgrades the tables; idempotent. `options.alongside` (the queue's migrations) runs
   * after them, under the same lock where the store has one: processes migrating one database at
   * once then migrate one after the other.
   */
  migrate(options?: { alongside?: () => Promise<void> }): Promise<void>
  /**
   * Throws `NOT_MIGRATED` when the tables are missing or older than this code. Called once, when
   * a worker starts; other calls learn it from the error of their query.
   */
  assertMigrated?(): Promise<void>
  /**
   * Inserts a run, or returns the id of the run that already has its idempotency key.
   * `inTransaction` runs in the insert's transaction only when a run was created.
   */
  createRun(run: NewRun, inTransaction?: (tx: StoreTransaction) => Promise<void>): Promise<{ runId: string; created: boolean }>
  /**
   * Inserts several runs in one transaction, in order; each one whose idempotency key holds a
   * run already gets that run's id instead. `inTransaction` gets the ids created, before commit.
   */
  createRuns(runs: readonly NewRun[], inTransaction?: (tx: StoreTransaction, created: readonly string[]) => Promise<void>): Promise<Array<{ runId: string; created: boolean }>>
  /** Takes the lease of a run that is active, due, of one of `definitions` and not leased by a live worker. */
  claimRun(runId: string, claim: { owner: string; now: Date; leaseUntil: Date; definitions: readonly DefinitionKey[] }): Promise<ClaimResult>
  /** The run's journal entries of `RESULT_KINDS` (they carry step results), in journal order. */
  loadResults(runId: string): Promise<ResultEntry[]>
  /** Applies a fenced update (and appends its journal entry); false when `owner` lost the lease. */
  updateRun(update: RunUpdate, tx?: StoreTransaction): Promise<boolean>
  /**
   * Locks the run (`FOR UPDATE`), asks `decide` what to change — it may throw to refuse, and
   * nothing is written — applies the change, then calls `inTransaction` (to dispatch a job)
   * before committing. Returns the run as it was before the change, or undefined when missing.
   */
  changeRun(
    runId: string,
    now: Date,
    decide: (run: RunRecord) => RunChange,
    inTransaction?: (tx: StoreTransaction) => Promise<void>,
  ): Promise<RunRecord | undefined>
  /** The oldest signal named `name` the run has not consumed yet. */
  takeSignal(runId: string, name: string, tx?: StoreTransaction): Promise<{ id: string; payload: Json } | undefined>
  /** Marks a signal consumed; false when it already was (it must then not be delivered again). */
  consumeSignal(signalId: string, now: Date, tx?: StoreTransaction): Promise<boolean>
  /** Runs `fn` in one database transaction. */
  transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T>
  /** Extends the leases `owner` still holds; returns the ids it still holds. */
  renewLeases(owner: string, runIds: readonly string[], until: Date): Promise<string[]>
  /** Gives leases back without changing the runs, so another worker can continue at once. */
  releaseLeases(owner: string, runIds: readonly string[]): Promise<void>
  /** Ids of active runs of `definitions` that are due and not leased by a live worker (for the reconciler). */
  findDueRuns(query: { now: Date; definitions: readonly DefinitionKey[]; limit: number }): Promise<string[]>
  /** The text of a shape recorded by `createRun`, by its hash. */
  loadShape(hash: string): Promise<string | undefined>
  getRun(runId: string, tx?: StoreTransaction): Promise<RunRecord | undefined>
  listRuns(query: ListRunsQuery): Promise<{ runs: RunRecord[]; nextCursor?: string }>
  /** Runs by status, and the backlog: active runs due by `now` that no live worker holds. */
  stats(now: Date): Promise<RunStats>
  journal(runId: string): Promise<JournalEntry[]>
  /**
   * Deletes up to `limit` ended runs that match, with their journals and signals, in one
   * statement; never an active run. Returns how many it deleted (with `dryRun`: how many match).
   */
  pruneRuns?(query: PruneRunsQuery): Promise<number>
  close(): Promise<void>
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
