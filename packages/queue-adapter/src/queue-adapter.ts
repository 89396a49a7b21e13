import type { DefinitionKey, RunRecord } from '@durable/core'

/**
 * "Wake run `runId`, not before `runAt`." A job carries no state: all truth is in the store,
 * so a job can be delivered twice, late, or (rarely) not at all without harm.
 */
export interface DurableJob {
  /** The run to wake. */
  runId: string
  /** Earliest time to deliver the job; absent or in the past means "now". */
  runAt?: Date
  /**
   * Set only by an adapter that claimed the run while taking the job (see `ConsumeOptions`'s
   * `claimRuns`): the worker drives the run at once, without a claim of its own.
   */
  claimed?: ClaimedRun
}

/** A run claimed by the statement that took its job: what `RunStore.claimRun` returns on success. */
export interface ClaimedRun {
  readonly run: RunRecord
  /** The previous holder's lease ran out: it died mid-try. */
  readonly previousLeaseExpired: boolean
}

/**
 * Options of `consume`. `claimRuns` is for adapters whose jobs live in the store's database
 * (queue-postgres): they may claim a job's run in the statement that takes the job, with this
 * owner, definitions and lease, and hand it over as `job.claimed` — one round trip instead of
 * two per run. Claim only what `claimRun` would claim at once; deliver any other job bare, and
 * the worker claims it itself. Other adapters ignore it.
 */
export interface ConsumeOptions {
  concurrency: number
  claimRuns?: RunClaimer
}

/** Who claims, for which definitions, and the lease's times (see `ConsumeOptions`). */
export interface RunClaimer {
  /** The worker's id, the lease owner. */
  readonly owner: string
  /** The definitions the worker can drive; a run of any other is left to the worker's own claim. */
  readonly definitions: readonly DefinitionKey[]
  /**
   * Read just before each take: the claim's time and the lease's end on the runtime's clock, and
   * the runs the worker drives already (deliver their jobs bare: a cancel or a lost lease is
   * theirs to see first); or `undefined` while the worker must not claim (it is stopping, or the
   * store sees it dead): deliver every job bare then.
   */
  lease(): Promise<{ now: Date; leaseUntil: Date; driving: readonly string[] } | undefined>
}

/**
 * How `@durable/provider` hands work to workers. Implement it to run durable on a queue you
 * already operate; prove the implementation with `testQueueAdapter()`.
 *
 * What the provider relies on, and what it does not:
 * - **Duplicates are harmless.** The provider re-dispatches runs freely and claims a run under a
 *   lease before working on it, so a job delivered twice (or to two workers) is a no-op the
 *   second time. Adapters may collapse duplicates, but must deliver a job dispatched again
 *   after an earlier one for the same run was delivered.
 * - **Lost jobs are recovered.** A reconciler in every worker re-dispatches runs that are due
 *   and unleased, so a lossy queue delays a run by about its scan interval but never loses it.
 * - **Delivery is the handler's promise resolving or rejecting**; retries are the provider's
 *   business (they are durable, in the store), so an adapter need not redeliver a failed job.
 *
 * ### Example
 * ```ts
 * const queue: QueueAdapter = memoryQueue()
 * const consumer = await queue.consume(async (job) => wake(job.runId), { concurrency: 8 })
 * await queue.dispatch({ runId: 'r_1', runAt: new Date(Date.now() + 5_000) })
 * await consumer.stop()
 * ```
 */
export interface QueueAdapter {
  /**
   * True when `dispatch` can join the store's transaction (queue-until-commit): the provider
   * then passes its transaction as `options.transaction`, and a job dispatched in a transaction
   * that rolls back must never be delivered. When false, the provider dispatches after commit,
   * and its reconciler covers a crash in between.
   */
  readonly transactional: boolean
  /**
   * Asks for run `job.runId` to be woken, not before `job.runAt`. Duplicates are harmless.
   * `options.transaction` is the store's transaction (a Kysely `Transaction` for
   * `@durable/store-postgres`); adapters that are not `transactional` ignore it.
   */
  dispatch(job: DurableJob, options?: { transaction?: unknown }): Promise<void>
  /**
   * `dispatch` for many jobs at once (`startMany`), with the same options; optional — without
   * it the provider calls `dispatch` for each job. Adapters whose engine adds jobs in bulk
   * implement it.
   */
  dispatchMany?(jobs: readonly DurableJob[], options?: { transaction?: unknown }): Promise<void>
  /**
   * Delivers due jobs to `handler`, at most `options.concurrency` at a time, until the returned
   * `stop()` resolves. `stop()` stops delivering and resolves once the handlers it started have
   * finished. A handler that throws must not stop delivery of later jobs.
   */
  consume(handler: (job: DurableJob) => Promise<void>, options: ConsumeOptions): Promise<{ stop(): Promise<void> }>
  /** Releases connections and timers; stops consumers still running. Never closes the store. */
  close?(): Promise<void>
  /**
   * Creates or upgrades the queue's own tables, if it has any; idempotent. The provider's
   * `migrate()` calls it after the store's migrations.
   */
  migrate?(): Promise<void>
}
