import { DurableError } from '@durable/core'
import type { ConsumeOptions, DurableJob, QueueAdapter } from '@durable/queue-adapter'
import type { PostgresStore } from '@durable/store-postgres'
import { assertIdentifier } from './identifier.js'
import { JobConsumer, type QueueLogger } from './job-consumer.js'
import { migrateQueue } from './migrate-queue.js'
import type { Executor } from './queries/executor.js'
import { insertJobs } from './queries/insert-job.js'

/** Options of {@link postgresQueue}. */
export interface PostgresQueueOptions {
  /**
   * The store whose database holds the jobs table (in `store.schema`). The queue uses its
   * `db`, `schema` and `listen` (and `claimJobRuns`, to claim runs with their jobs); it never
   * closes the store.
   */
  store: Pick<PostgresStore, 'db' | 'schema' | 'listen'> & Partial<Pick<PostgresStore, 'claimJobRuns'>>
  /**
   * How often an idle consumer looks for due jobs when no NOTIFY arrives, in ms. Default 1000.
   * NOTIFY wakes consumers at once; polling is the safety net for lost notifications and the
   * only mechanism when the store cannot listen. Jobs due within this interval also NOTIFY.
   */
  pollIntervalMs?: number
  /**
   * The LISTEN/NOTIFY channel. Default `<schema>_jobs` (`durable_jobs`), the schema name cut to
   * fit 63 characters (two schemas that then share a channel only wake each other's consumers).
   */
  channel?: string
  /** Receives recoverable trouble: database errors in the consume loop, failed LISTEN, handler errors. */
  logger?: QueueLogger
}

const MAX_POLL_INTERVAL_MS = 2 ** 31 - 1 // setTimeout's limit

/**
 * The default durable queue: one `jobs` table in the store's database and schema. Dispatch
 * joins the store's transaction (`transactional: true`), so a run and its first job commit
 * together; consumers claim with `FOR UPDATE SKIP LOCKED` and are woken by `LISTEN/NOTIFY`, with
 * polling as the fallback. Works on `pg` and PGlite. Create it with {@link postgresQueue}.
 */
export class PostgresQueue implements QueueAdapter {
  /** Dispatch can run in the store's transaction: jobs of rolled-back transactions never exist. */
  readonly transactional = true
  /** Schema of the `jobs` table: the store's. */
  readonly schema: string
  /** The LISTEN/NOTIFY channel consumers wake on. */
  readonly channel: string
  /** Poll interval of idle consumers, in ms. */
  readonly pollIntervalMs: number
  readonly #store: PostgresQueueOptions['store']
  readonly #logger: QueueLogger | undefined
  readonly #consumers = new Set<JobConsumer>()

  constructor(options: PostgresQueueOptions) {
    const store = options?.store
    if (!store || typeof store !== 'object' || !store.db) {
      throw new DurableError('INVALID_INPUT', 'postgresQueue: options.store must be a store from postgresStore()')
    }
    this.#store = store
    this.schema = assertIdentifier('schema', store.schema)
    this.channel = assertIdentifier('channel', options.channel ?? `${this.schema.slice(0, 63 - '_jobs'.length)}_jobs`)
    const pollIntervalMs = options.pollIntervalMs ?? 1_000
    if (typeof pollIntervalMs !== 'number' || !(pollIntervalMs > 0) || pollIntervalMs > MAX_POLL_INTERVAL_MS) {
      throw new DurableError('INVALID_INPUT', `postgresQueue: pollIntervalMs must be a number of ms above 0, got ${String(pollIntervalMs)}`)
    }
    this.pollIntervalMs = pollIntervalMs
    this.#logger = options.logger
  }

  /** Creates or upgrades the `jobs` table; idempotent. The provider's `migrate()` calls it. */
  async migrate(): Promise<void> {
    await migrateQueue(this.#store.db, this.schema)
  }

  /**
   * Upserts the run's job row — one row per run, keeping the earliest `runAt` — and, when the job
   * is due within `pollIntervalMs`, NOTIFYs consumers. With `options.transaction` (the store's
   * Kysely transaction) both happen in that transaction: nothing is visible, and no consumer is
   * woken, unless it commits.
   */
  async dispatch(job: DurableJob, options?: { transaction?: unknown }): Promise<void> {
    await this.dispatchMany([job], options)
  }

  /** {@link dispatch} for many runs: one statement and at most one NOTIFY. */
  async dispatchMany(jobs: readonly DurableJob[], options?: { transaction?: unknown }): Promise<void> {
    for (const job of jobs) checkJob(job)
    const db = options?.transaction === undefined ? this.#store.db : asTransaction(options.transaction)
    await insertJobs(db, this.schema, jobs, { channel: this.channel, withinMs: this.pollIntervalMs })
  }

  /**
   * Starts a consumer: claims due jobs (deleting them) into at most `concurrency` running
   * handlers. `stop()` stops claiming, waits for running handlers and stops listening. With
   * `claimRuns` (the provider's workers pass it), the statement that takes the jobs also claims
   * their runs where it can, and hands them over as `job.claimed`.
   */
  async consume(handler: (job: DurableJob) => Promise<void>, options: ConsumeOptions): Promise<{ stop(): Promise<void> }> {
    const concurrency = options?.concurrency
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new DurableError('INVALID_INPUT', `postgresQueue.consume: concurrency must be a positive integer, got ${String(concurrency)}`)
    }
    const store = this.#store
    const consumer = new JobConsumer(
      {
        db: store.db,
        schema: this.schema,
        channel: this.channel,
        pollIntervalMs: this.pollIntervalMs,
        logger: this.#logger,
        listen: (onNotify) => store.listen(this.channel, () => onNotify()),
        claimJobRuns: typeof store.claimJobRuns === 'function' ? (limit, claim) => store.claimJobRuns!(`${this.schema}.jobs`, limit, claim) : undefined,
      },
      handler,
      concurrency,
      options.claimRuns,
    )
    this.#consumers.add(consumer)
    await consumer.start()
    return {
      stop: async () => {
        await consumer.stop()
        this.#consumers.delete(consumer)
      },
    }
  }

  /** Stops every consumer of this queue. The store stays open: it belongs to its creator. */
  async close(): Promise<void> {
    const consumers = [...this.#consumers]
    this.#consumers.clear()
    await Promise.all(consumers.map((consumer) => consumer.stop()))
  }
}

/** Accepts a Kysely transaction (or instance), checked by shape to survive duplicate installs. */
function asTransaction(transaction: unknown): Executor {
  const candidate = transaction as { getExecutor?: unknown; selectFrom?: unknown } | null
  if (typeof candidate?.getExecutor !== 'function' || typeof candidate.selectFrom !== 'function') {
    throw new DurableError('INVALID_INPUT', "postgresQueue.dispatch: options.transaction must be the store's Kysely transaction")
  }
  return transaction as Executor
}

/**
 * Creates the default durable queue on the store's database: a `jobs` table next to the runs,
 * `FOR UPDATE SKIP LOCKED` claims, `LISTEN/NOTIFY` wake-ups and polling as the safety net.
 *
 * ### Example
 * ```ts
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * const durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [checkout] })
 * await durable.migrate() // creates the store's tables and the queue's
 * ```
 */
export function postgresQueue(options: PostgresQueueOptions): PostgresQueue {
  return new PostgresQueue(options)
}

function checkJob(job: DurableJob): void {
  if (typeof job?.runId !== 'string' || job.runId === '') {
    throw new DurableError('INVALID_INPUT', 'postgresQueue.dispatch: job.runId must be a non-empty string')
  }
  if (job.runAt !== undefined && !(job.runAt instanceof Date && Number.isFinite(job.runAt.getTime()))) {
    throw new DurableError('INVALID_INPUT', `postgresQueue.dispatch: job.runAt of run "${job.runId}" is not a valid Date`)
  }
}
