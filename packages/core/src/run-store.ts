import { DurableError, type StepError } from './errors.js'
import type { RunFlow } from './flow-control.js'
import type { Json } from './json.js'
import type { JournalKind, RunError, RunState, RunStatus } from './run-state.js'
import type { JournalStore, LeaseStore, RunRepository, ScheduleStore, SignalStore, StoreLifecycle, WorkerCoordination } from './run-store-roles.js'

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
  /** `start(…, { timeout })`: when the run times out (on the database's clock); null or absent: never. */
  readonly deadlineAt?: Date | null
  /** Create the run already leased (and running): the starting process drives it itself, with no job. */
  readonly lease?: { readonly owner: string; readonly until: Date }
  /** Priority, concurrency and rate keys the store enforces at every claim; none when absent. */
  readonly flow?: RunFlow
  /**
   * Debounce: the run is due at `until`, not at `now`. A run of the same workflow with the same
   * key that no worker has begun and that is not due yet takes this one's input, flow and due
   * time instead (`created: false`, its id returned); otherwise this run is created.
   */
  readonly debounce?: { readonly key: string; readonly until: Date }
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
  /**
   * The run's wake time: when it next needs a worker; null when nothing is due (ended, or waiting
   * on the outside). The runtime writes it from core's `scheduleWake` (kept no later than the
   * run's deadline) and from the outside wakes — a signal, a child's end, a cancel, a retry make it
   * due now — it is `now` while a worker holds the lease, and a reserved slot under a rate limit.
   * So it is often earlier than the node's own timer (a backoff, a sleep's end, a signal wait's
   * timeout), which lives in the state's cursor only (`timerOf(state)`): neither is read from the other.
   */
  readonly dueAt: Date | null
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
  /** Set once `cancel()` was called: the next worker to hold the run rolls it back. */
  readonly cancelRequest?: { readonly reason: string | null } | null
  /** Its priority and flow keys (absent: priority 0, no limits). */
  readonly flow?: RunFlow
  /**
   * When the run times out (`start(…, { timeout })`); null or absent: never. Fixed at the start.
   * A worker that holds the run, or claims it, past this instant rolls it back and fails it
   * (`RUN_TIMED_OUT`); while it is parked, the runtime keeps its due time no later than this.
   */
  readonly deadlineAt?: Date | null
}

/** A change made under the run's row lock by someone who does not hold its lease (signal, cancel, retry). */
export interface RunChange {
  readonly dueAt?: Date | null
  /** Take the lease away from whoever holds it: their next commit is refused. */
  readonly revokeLease?: boolean
  readonly cancelRequest?: { readonly reason: string | null }
  /**
   * `retry()`: the failed run becomes claimable again (status `pending`); the worker that claims
   * it resumes it (core's `claimed` on a failed state). The state itself is never written here.
   */
  readonly retryRequest?: true
  /** A signal to keep until the run takes it. */
  readonly signal?: { readonly name: string; readonly payloadJson: string }
}

/** A signal sent to a run that the run has not taken yet (it is kept until the run waits for it). */
export interface PendingSignal {
  /** The store's id of the signal. */
  readonly id: string
  readonly name: string
  readonly payload: Json
  /** When it was sent (the time `changeRun` was given). */
  readonly sentAt: Date
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
  /** When it happened; default the time of the commit that appends it (a fork's copies keep the original's). */
  readonly createdAt?: Date
}

/**
 * Outcome of `claimRun`. Besides the run's own state, flow control refuses a claim:
 * `outranked` — a run of higher priority is due and free (`outrankedBy`: claim it instead);
 * `limited` — the run's concurrency key is at its limit (it waits, `dueAt` null, until a slot
 * frees), or its rate key is (it waits until `dueAt`, the slot it reserved).
 */
export type ClaimResult =
  | { readonly claimed: true; readonly run: RunRecord; /** The previous holder's lease ran out: it died mid-try. */ readonly previousLeaseExpired: boolean }
  | { readonly claimed: false; readonly reason: 'missing' | 'ended' | 'unregistered' | 'leased' | 'notDue' | 'limited'; readonly dueAt: Date | null }
  | { readonly claimed: false; readonly reason: 'outranked'; readonly dueAt: Date | null; readonly outrankedBy: string }

/** A fenced change to a run: applied only while `owner` still holds the lease. */
export interface RunUpdate {
  readonly runId: string
  readonly owner: string
  readonly state: RunState
  /** The run's wake time (see `RunRecord.dueAt`): from the commands, never read from `state`. */
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
  /** Only the runs started with this idempotency key (one per workflow). */
  readonly idempotencyKey?: string
  /** Only runs created before this instant. */
  readonly createdBefore?: Date
  readonly limit: number
  readonly cursor?: string
}

/** Which runs `pruneRuns` deletes: ended (`completed`, `failed`, `cancelled`) before `endedBefore`. */
export interface PruneRunsQuery {
  readonly endedBefore: Date
  readonly workflowName?: string
  /** Only runs that ended with this status (retention keeps each status its own time). */
  readonly status?: 'completed' | 'failed' | 'cancelled'
  /** Most runs deleted by this call: one bounded batch. */
  readonly limit: number
  /** Delete nothing: count every run that matches (no `limit`). */
  readonly dryRun?: boolean
}

/** A schedule as `ScheduleStore` keeps it. */
export interface ScheduleRecord {
  readonly name: string
  readonly workflowName: string
  /** Five fields, or six with seconds first. */
  readonly cron: string
  /** The IANA time zone the cron is read in. */
  readonly timezone: string
  readonly catchUp: 'latest' | 'all' | 'none'
  /** The last slot handled (started, or skipped as missed); slots after it are still to come. */
  readonly lastSlotAt: Date
  /** The run the last started slot made; null before the first. */
  readonly lastRunId: string | null
}

/** A compare-and-set of a schedule's last slot (see `ScheduleStore.advanceSchedule`). */
export interface ScheduleAdvance {
  readonly name: string
  /** The `lastSlotAt` this worker read: the change applies only if it is still so. */
  readonly from: Date
  readonly to: Date
  /** The run started for slot `to`; left out when the slots up to `to` are skipped. */
  readonly runId?: string
}

/**
 * Where runs and their journals live: the intersection of the store's six roles — runs
 * ({@link RunRepository}), leases ({@link LeaseStore}), the journal ({@link JournalStore}),
 * outside changes and signals ({@link SignalStore}), the lifecycle ({@link StoreLifecycle}) and
 * the optional powers that let workers agree on time and on who is alive
 * ({@link WorkerCoordination}), and optionally the schedules' state ({@link ScheduleStore}).
 * `@durable/store-postgres` and `@durable/testing`'s
 * `memoryStore()` implement it, and `testRunStore()` (`@durable/testing/conformance`) checks an
 * implementation; the provider depends only on this interface.
 */
export interface RunStore extends RunRepository, LeaseStore, JournalStore, SignalStore, StoreLifecycle, WorkerCoordination, Partial<ScheduleStore> {}

/**
 * `RunStore.updateRuns` takes at most one update per run: one statement updating a row twice
 * keeps one of the two, unpredictably. Every store checks it the same way.
 */
export function assertOneUpdatePerRun(updates: readonly RunUpdate[]): void {
  if (new Set(updates.map((update) => update.runId)).size < updates.length) {
    throw new DurableError('INVALID_INPUT', 'updateRuns: a batch holds at most one update per run')
  }
}
