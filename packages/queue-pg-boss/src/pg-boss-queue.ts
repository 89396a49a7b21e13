import { DurableError } from '@durable/core'
import type { DurableJob, QueueAdapter } from '@durable/queue-adapter'
import type { PgBossInstance, PgBossSendOptions } from './pg-boss-instance.js'
import { PgBossConsumer, type QueueLogger, type WakeData } from './pg-boss-consumer.js'
import { transactionExecutor } from './transaction-executor.js'

/** Options of {@link pgBossQueue}. */
export interface PgBossQueueOptions {
  /** The pg-boss queue that carries durable's wake-up jobs. Default `durable-wake`. */
  queueName?: string
  /**
   * How often an idle consumer fetches, in ms. Default 1000. pg-boss 10 has no push
   * notifications, so this bounds how late a job dispatched by another process is seen; jobs
   * dispatched in this process wake local consumers at once (or when they fall due).
   */
  pollIntervalMs?: number
  /** How long `migrate()` waits for `boss.start()` before giving up, in ms. Default 10 000. */
  connectTimeoutMs?: number
  /** Receives recoverable trouble: failed fetches, failed handlers, failed completions. */
  logger?: QueueLogger
}

/** Job options of every wake-up job: the provider owns retries, so pg-boss must not retry. */
const SEND_OPTIONS = { retryLimit: 0 } as const satisfies PgBossSendOptions
/** Longest queue name accepted; pg-boss itself sets no limit. */
const MAX_NAME_LENGTH = 100
/**
 * A job sent in a transaction becomes visible when it commits, which the adapter cannot observe:
 * local consumers are hinted this long after the dispatch (polling covers a slower commit).
 */
const COMMIT_GRACE_MS = 15
/** Margin for timers firing a little early, and for the database clock. */
const CLOCK_SLACK_MS = 5
/** Tries of `createQueue` before `migrate()` gives up (see `#createQueue`). */
const CREATE_QUEUE_ATTEMPTS = 5

/**
 * A durable queue on pg-boss 10 or 12: each dispatch is a pg-boss job `{ runId, runAt? }` in queue
 * `queueName`, delayed with `startAfter`. `transactional: true`: given the store's Kysely
 * transaction, the job is inserted in it (pg-boss's `db` executor option), so the boss's
 * database must be the store's. Create it with {@link pgBossQueue}.
 */
export class PgBossQueue implements QueueAdapter {
  /** Dispatch can join the store's transaction (same database): rolled-back jobs never exist. */
  readonly transactional = true
  /** The pg-boss queue name. */
  readonly queueName: string
  /** Poll interval of idle consumers, in ms. */
  readonly pollIntervalMs: number
  readonly #boss: PgBossInstance
  readonly #connectTimeoutMs: number
  readonly #logger: QueueLogger | undefined
  readonly #consumers = new Set<PgBossConsumer>()
  #checked: Promise<void> | undefined

  constructor(boss: PgBossInstance, options: PgBossQueueOptions = {}) {
    const missing = ['start', 'send', 'fetch', 'complete', 'fail', 'createQueue', 'getQueue'].filter(
      (method) => typeof (boss as unknown as Record<string, unknown> | null)?.[method] !== 'function',
    )
    if (missing.length > 0) {
      throw new DurableError(
        'INVALID_INPUT',
        `pgBossQueue needs a PgBoss instance of pg-boss 10 or 12 (new PgBoss(connectionString)); this one has no ${missing.join(', ')}` +
          ' — pg-boss 9 and older lack createQueue: upgrade with npm install pg-boss@12 (Node 22.12 or later) or pg-boss@10',
      )
    }
    this.#boss = boss
    this.queueName = options.queueName ?? 'durable-wake'
    if (typeof this.queueName !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(this.queueName) || this.queueName.length > MAX_NAME_LENGTH) {
      throw new DurableError('INVALID_INPUT', `pgBossQueue: queueName must be 1 to ${MAX_NAME_LENGTH} letters, digits, "_", "-" or ".", got ${JSON.stringify(this.queueName)}`)
    }
    this.pollIntervalMs = positive(options.pollIntervalMs ?? 1_000, 'pollIntervalMs')
    this.#connectTimeoutMs = positive(options.connectTimeoutMs ?? 10_000, 'connectTimeoutMs')
    this.#logger = options.logger
  }

  /**
   * Starts the boss (`boss.start()`: idempotent; it creates or upgrades pg-boss's schema) and
   * creates the queue if it does not exist. The provider's `migrate()` calls it, under the
   * store's migration lock. Unreachable database or a start that does not finish within
   * `connectTimeoutMs` → `INVALID_INPUT`; any other failure of pg-boss → `STORE_UNAVAILABLE`.
   */
  async migrate(): Promise<void> {
    const boss = this.#boss
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`boss.start() did not finish within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs)
    })
    try {
      await Promise.race([boss.start(), timeout])
      await this.#createQueue()
    } catch (error) {
      if (!isConnectionFailure(error)) {
        throw new DurableError('STORE_UNAVAILABLE', `pgBossQueue.migrate: pg-boss failed to start or to create queue "${this.queueName}": ${messageOf(error)}`, { cause: error })
      }
      throw new DurableError(
        'INVALID_INPUT',
        `pgBossQueue.migrate: could not start pg-boss or create queue "${this.queueName}" (${messageOf(error)}); ` +
          'check the connection options given to new PgBoss() and that PostgreSQL is reachable',
        { cause: error },
      )
    } finally {
      clearTimeout(timer)
    }
    this.#checked = Promise.resolve()
  }

  /**
   * Creates the queue unless it exists. pg-boss 10's `create_queue` deadlocks against itself when
   * two sessions create queues at once (it inserts the queue's row, then adds a foreign key to
   * that table, which the other's insert holds a lock on) — and `boss.start()` creates one of its
   * own. `durable.migrate()` serializes processes; a direct call may still meet another process,
   * so a failed create looks again, and tries again a few times, before it gives up.
   */
  async #createQueue(): Promise<void> {
    const boss = this.#boss
    for (let attempt = 1; ; attempt++) {
      if ((await boss.getQueue(this.queueName)) !== null) return
      try {
        await boss.createQueue(this.queueName, { name: this.queueName, policy: 'standard', retryLimit: 0 })
        return
      } catch (error) {
        if (attempt === CREATE_QUEUE_ATTEMPTS) {
          if ((await boss.getQueue(this.queueName)) !== null) return // another process created it
          throw error
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 50))
      }
    }
  }

  /**
   * Sends a pg-boss job `{ runId, runAt? }` with `startAfter: runAt` and `retryLimit: 0`. With
   * `options.transaction` (the store's Kysely transaction) the job is inserted in it.
   */
  async dispatch(job: DurableJob, options?: { transaction?: unknown }): Promise<void> {
    if (typeof job?.runId !== 'string' || job.runId === '') {
      throw new DurableError('INVALID_INPUT', 'pgBossQueue.dispatch: job.runId must be a non-empty string')
    }
    const runAt = job.runAt
    if (runAt !== undefined && !(runAt instanceof Date && Number.isFinite(runAt.getTime()))) {
      throw new DurableError('INVALID_INPUT', `pgBossQueue.dispatch: job.runAt of run "${job.runId}" is not a valid Date`)
    }
    const inTransaction = options?.transaction !== undefined
    const sendOptions: PgBossSendOptions = {
      ...SEND_OPTIONS,
      ...(runAt ? { startAfter: runAt } : {}),
      ...(inTransaction ? { db: transactionExecutor(options.transaction) } : {}),
    }
    if (!inTransaction) this.#assertStarted('dispatch')
    const data: WakeData = runAt ? { runId: job.runId, runAt: runAt.toISOString() } : { runId: job.runId }
    let id: string | null
    try {
      id = await this.#boss.send(this.queueName, data as object, sendOptions)
    } catch (error) {
      // pg-boss 12 says so when the queue does not exist.
      if ((error as { code?: unknown } | null)?.code === 'PGBOSS_QUEUE_NOT_FOUND') throw this.#noQueue('dispatch', error)
      throw error
    }
    // pg-boss 10 inserts by joining its queue table: an unknown queue silently inserts nothing.
    if (id === null) throw this.#noQueue('dispatch')
    const now = Date.now()
    // pg-boss compares start_after with the server's now(): look a few ms after a delayed job's time.
    const visibleAt = runAt && runAt.getTime() > now ? runAt.getTime() + CLOCK_SLACK_MS : now
    this.#hint(visibleAt + (inTransaction ? COMMIT_GRACE_MS : 0))
  }

  /**
   * Starts a consumer: fetches due jobs with `boss.fetch` into at most `concurrency` running
   * handlers and completes each when its handler settles. Throws `INVALID_INPUT` when the boss
   * is not started or the queue does not exist (run `durable.migrate()`).
   */
  async consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }): Promise<{ stop(): Promise<void> }> {
    const concurrency = options?.concurrency
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new DurableError('INVALID_INPUT', `pgBossQueue.consume: concurrency must be a positive integer, got ${String(concurrency)}`)
    }
    await this.#check()
    const consumer = new PgBossConsumer(
      { boss: this.#boss, queueName: this.queueName, pollIntervalMs: this.pollIntervalMs, logger: this.#logger, sendOptions: SEND_OPTIONS },
      handler,
      concurrency,
    )
    this.#consumers.add(consumer)
    consumer.start()
    return {
      stop: async () => {
        await consumer.stop()
        this.#consumers.delete(consumer)
      },
    }
  }

  /** Stops every consumer of this queue. The boss stays started: it belongs to its creator. */
  async close(): Promise<void> {
    const consumers = [...this.#consumers]
    this.#consumers.clear()
    await Promise.all(consumers.map((consumer) => consumer.stop()))
  }

  /** Tells local consumers when a job becomes visible (they fetch then, instead of at the next poll). */
  #hint(at: number): void {
    for (const consumer of this.#consumers) consumer.hint(at)
  }

  /** Checks once that the boss is started and the queue exists, with a fix in the message. */
  #check(): Promise<void> {
    this.#assertStarted('consume')
    this.#checked ??= (async () => {
      let queue: unknown
      try {
        queue = await this.#boss.getQueue(this.queueName)
      } catch (error) {
        throw new DurableError('INVALID_INPUT', `pgBossQueue: could not reach pg-boss's database (${messageOf(error)}); check the connection options given to new PgBoss()`, {
          cause: error,
        })
      }
      if (queue === null) throw this.#noQueue('consume')
    })().catch((error: unknown) => {
      this.#checked = undefined
      throw error
    })
    return this.#checked
  }

  /**
   * pg-boss runs SQL only between `start()` and `stop()` (on a pool it created). It offers no
   * public check, so this reads its database object: `isOurs` (pg-boss 10) or `_pgbdb` (12) marks
   * a pool of its own, and `opened` whether it is started.
   */
  #assertStarted(action: string): void {
    const db = (this.#boss as { getDb?: () => unknown }).getDb?.() as { isOurs?: boolean; _pgbdb?: boolean; opened?: boolean } | undefined
    if ((db?.isOurs === true || db?._pgbdb === true) && db.opened !== true) {
      throw new DurableError('INVALID_INPUT', `pgBossQueue.${action}: pg-boss is not started; call durable.migrate() (it starts the boss) or await boss.start() first`)
    }
  }

  #noQueue(action: string, cause?: unknown): DurableError {
    return new DurableError(
      'NOT_MIGRATED',
      `pgBossQueue.${action}: pg-boss has no queue "${this.queueName}"; run migrate() first — durable.migrate() creates the queue (or boss.createQueue("${this.queueName}"))`,
      cause === undefined ? undefined : { cause },
    )
  }
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || value > 2 ** 31 - 1) {
    throw new DurableError('INVALID_INPUT', `pgBossQueue: ${name} must be a number of ms above 0, got ${String(value)}`)
  }
  return value
}

/**
 * True when PostgreSQL could not be reached or would not let us in (or `boss.start()` timed out),
 * as opposed to a failure of pg-boss's own SQL: only then do the connection options need a look.
 * A SQLSTATE outside class 08 (connection), 28 (authorization) and 3D (no such database) is the
 * database answering.
 */
function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true
  return code.startsWith('08') || code.startsWith('28') || code.startsWith('3D')
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Creates a durable queue on a pg-boss 10 or 12 instance. `durable.migrate()` starts the boss and
 * creates the queue; the adapter never stops the boss — call `boss.stop()` after `durable.close()`.
 *
 * ### Example
 * ```ts
 * const boss = new PgBoss(process.env.DATABASE_URL!) // pg-boss 12: import { PgBoss } from 'pg-boss'
 * boss.on('error', (error) => logger.error(error))
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * const durable = createDurable({ store, queue: pgBossQueue(boss), workflows: [checkout] })
 * await durable.migrate() // the store's tables, boss.start(), boss.createQueue('durable-wake')
 * ```
 */
export function pgBossQueue(boss: PgBossInstance, options?: PgBossQueueOptions): PgBossQueue {
  return new PgBossQueue(boss, options)
}
