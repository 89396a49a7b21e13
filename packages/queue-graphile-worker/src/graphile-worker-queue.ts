import { DurableError } from '@durable/core'
import type { DurableJob, QueueAdapter } from '@durable/queue-adapter'
import { run, runMigrations, type Runner, type RunnerOptions } from 'graphile-worker'
import pg from 'pg'
import { addJobStatement, transactionExecute, type WakePayload } from './add-job.js'
import { graphileLogger, queueLogger, type QueueLogger } from './queue-logger.js'

/** Options of {@link graphileWorkerQueue}: `connectionString` or `pgPool`, not both. */
export interface GraphileWorkerQueueOptions {
  /** Database holding Graphile Worker's schema; the adapter creates (and ends) its own pool. */
  connectionString?: string
  /** A `pg` Pool to use instead; the adapter never ends it. Size it for every consumer's concurrency. */
  pgPool?: pg.Pool
  /** Graphile Worker's schema. Default `graphile_worker`. */
  schema?: string
  /** The task identifier of durable's wake-up jobs. Default `durable_wake`. */
  taskIdentifier?: string
  /**
   * How often each idle runner slot polls for jobs that were not announced by NOTIFY — jobs that
   * became due later (retries, sleeps) — in ms. Default 2000, Graphile Worker's own default.
   */
  pollIntervalMs?: number
  /** How long `migrate()` waits for the database before failing, in ms. Default 10 000. */
  connectTimeoutMs?: number
  /** Receives Graphile Worker's errors and warnings and failed handlers. Default: stderr. */
  logger?: QueueLogger
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * A durable queue on Graphile Worker: each dispatch is a job of task `taskIdentifier` added with
 * `graphile_worker.add_job` (delayed with `run_at`), and each `consume()` runs a Graphile Worker
 * runner with that one task and `concurrency` slots. `transactional: true`: given the store's
 * Kysely transaction, `add_job` runs in it, so the store and Graphile Worker must share a
 * database. Create it with {@link graphileWorkerQueue}.
 */
export class GraphileWorkerQueue implements QueueAdapter {
  /** Dispatch can join the store's transaction (same database): rolled-back jobs never exist. */
  readonly transactional = true
  /** Graphile Worker's schema. */
  readonly schema: string
  /** The task identifier of wake-up jobs. */
  readonly taskIdentifier: string
  /** Poll interval of idle runner slots, in ms. */
  readonly pollIntervalMs: number
  readonly #pool: pg.Pool
  readonly #ownsPool: boolean
  readonly #connectTimeoutMs: number
  readonly #logger: QueueLogger
  readonly #runners = new Set<Runner>()
  #closed = false

  constructor(options: GraphileWorkerQueueOptions) {
    const { connectionString, pgPool } = options ?? {}
    if ((connectionString === undefined) === (pgPool === undefined)) {
      throw new DurableError('INVALID_INPUT', 'graphileWorkerQueue: pass exactly one of { connectionString } or { pgPool }')
    }
    if (pgPool !== undefined && typeof (pgPool as { query?: unknown }).query !== 'function') {
      throw new DurableError('INVALID_INPUT', 'graphileWorkerQueue: pgPool must be a pg Pool (new pg.Pool({ connectionString }))')
    }
    if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString === '')) {
      throw new DurableError('INVALID_INPUT', 'graphileWorkerQueue: connectionString must be a non-empty string, e.g. postgres://user:pass@host:5432/db')
    }
    this.schema = identifier('schema', options.schema ?? 'graphile_worker')
    this.taskIdentifier = options.taskIdentifier ?? 'durable_wake'
    if (typeof this.taskIdentifier !== 'string' || !/^[\w.:-]{1,100}$/.test(this.taskIdentifier)) {
      throw new DurableError(
        'INVALID_INPUT',
        `graphileWorkerQueue: taskIdentifier must be 1 to 100 letters, digits, "_", ".", ":" or "-", got ${JSON.stringify(this.taskIdentifier)}`,
      )
    }
    this.pollIntervalMs = positive(options.pollIntervalMs ?? 2_000, 'pollIntervalMs')
    this.#connectTimeoutMs = positive(options.connectTimeoutMs ?? 10_000, 'connectTimeoutMs')
    this.#logger = queueLogger(options.logger)
    this.#ownsPool = pgPool === undefined
    this.#pool = pgPool ?? this.#newPool(connectionString!)
  }

  /**
   * Runs Graphile Worker's migrations (creating or upgrading its schema); idempotent. An
   * unreachable database, or no answer within `connectTimeoutMs`, → `INVALID_INPUT`.
   */
  async migrate(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs)
    })
    try {
      await Promise.race([runMigrations(this.#runnerOptions()), timeout])
    } catch (error) {
      throw new DurableError(
        'INVALID_INPUT',
        `graphileWorkerQueue.migrate: could not run Graphile Worker's migrations (${error instanceof Error ? error.message : String(error)}); ` +
          'check connectionString (or pgPool) and that PostgreSQL is reachable',
        { cause: error },
      )
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Adds a job `{ runId, runAt? }` with `add_job(…, run_at => runAt, max_attempts => 1)`. With
   * `options.transaction` (the store's Kysely transaction) it runs in that transaction.
   */
  async dispatch(job: DurableJob, options?: { transaction?: unknown }): Promise<void> {
    if (typeof job?.runId !== 'string' || job.runId === '') {
      throw new DurableError('INVALID_INPUT', 'graphileWorkerQueue.dispatch: job.runId must be a non-empty string')
    }
    if (job.runAt !== undefined && !(job.runAt instanceof Date && Number.isFinite(job.runAt.getTime()))) {
      throw new DurableError('INVALID_INPUT', `graphileWorkerQueue.dispatch: job.runAt of run "${job.runId}" is not a valid Date`)
    }
    const execute = options?.transaction === undefined ? (text: string, values: unknown[]) => this.#pool.query(text, values) : transactionExecute(options.transaction)
    const { text, values } = addJobStatement(quote(this.schema), this.taskIdentifier, job)
    try {
      await execute(text, values)
    } catch (error) {
      // 3F000: invalid_schema_name; 42883: undefined_function.
      const code = (error as { code?: string }).code
      if (code === '3F000' || code === '42883') {
        throw new DurableError(
          'NOT_MIGRATED',
          `graphileWorkerQueue.dispatch: ${this.schema}.add_job does not exist in this database; run migrate() first — durable.migrate() (or graphile-worker's migrations)`,
          { cause: error },
        )
      }
      throw error
    }
  }

  /**
   * Starts a Graphile Worker runner with one task, `taskIdentifier`, and `concurrency` slots.
   * `stop()` shuts it down gracefully: it waits for running handlers.
   */
  async consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }): Promise<{ stop(): Promise<void> }> {
    const concurrency = options?.concurrency
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new DurableError('INVALID_INPUT', `graphileWorkerQueue.consume: concurrency must be a positive integer, got ${String(concurrency)}`)
    }
    if (this.#closed) throw new DurableError('INVALID_INPUT', 'graphileWorkerQueue.consume: the queue is closed')
    const logger = this.#logger
    const task = async (payload: unknown): Promise<void> => {
      const data = payload as Partial<WakePayload> | null
      if (typeof data?.runId !== 'string') return logger.warn({ payload }, 'graphileWorkerQueue: ignored a job without a runId')
      try {
        await handler(data.runAt ? { runId: data.runId, runAt: new Date(data.runAt) } : { runId: data.runId })
      } catch (error) {
        // Not rethrown: Graphile Worker would keep the job as failed, and retries are the
        // provider's business (the run is still due in the store).
        logger.warn({ err: error, runId: data.runId }, `graphileWorkerQueue: handler failed for run "${data.runId}"`)
      }
    }
    let runner: Runner
    try {
      // No cron items: this runner only wakes durable runs.
      runner = await run({ ...this.#runnerOptions(), concurrency, noHandleSignals: true, taskList: { [this.taskIdentifier]: task } }, undefined, [])
    } catch (error) {
      throw new DurableError(
        'INVALID_INPUT',
        `graphileWorkerQueue.consume: could not start a Graphile Worker runner (${error instanceof Error ? error.message : String(error)}); run durable.migrate() first and check the connection`,
        { cause: error },
      )
    }
    runner.promise.catch((error: unknown) => logger.warn({ err: error }, 'graphileWorkerQueue: runner stopped with an error'))
    this.#runners.add(runner)
    let stopped: Promise<void> | undefined
    return {
      stop: () => (stopped ??= this.#stopRunner(runner)),
    }
  }

  /** Stops every runner, then ends the pool if the adapter created it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#runners].map((runner) => this.#stopRunner(runner)))
    if (this.#ownsPool) await this.#pool.end()
  }

  async #stopRunner(runner: Runner): Promise<void> {
    if (!this.#runners.delete(runner)) return
    await runner.stop().catch((error: unknown) => this.#logger.warn({ err: error }, 'graphileWorkerQueue: runner did not stop cleanly'))
  }

  #runnerOptions(): RunnerOptions {
    return { pgPool: this.#pool, schema: this.schema, pollInterval: this.pollIntervalMs, logger: graphileLogger(this.#logger) }
  }

  #newPool(connectionString: string): pg.Pool {
    const pool = new pg.Pool({ connectionString })
    // Without these, a connection dropped by the server (restart, failover) would crash the
    // process as an unhandled 'error' event; pg removes the broken client by itself.
    pool.on('error', (error) => this.#logger.warn({ err: error }, 'graphileWorkerQueue: idle connection failed'))
    pool.on('connect', (client) => client.on('error', (error) => this.#logger.warn({ err: error }, 'graphileWorkerQueue: connection failed')))
    return pool
  }
}

function identifier(what: string, value: unknown): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new DurableError('INVALID_INPUT', `graphileWorkerQueue: ${what} must be a letter or "_", then up to 62 letters, digits or "_", got ${JSON.stringify(value)}`)
  }
  return value
}

const quote = (name: string) => `"${name}"`

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || value > 2 ** 31 - 1) {
    throw new DurableError('INVALID_INPUT', `graphileWorkerQueue: ${name} must be a number of ms above 0, got ${String(value)}`)
  }
  return value
}

/**
 * Creates a durable queue on Graphile Worker. `durable.migrate()` runs Graphile Worker's
 * migrations; each worker's `consume()` runs a Graphile Worker runner for durable's task.
 *
 * ### Example
 * ```ts
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * const queue = graphileWorkerQueue({ connectionString: process.env.DATABASE_URL })
 * const durable = createDurable({ store, queue, workflows: [checkout] })
 * await durable.migrate() // the store's tables, then graphile_worker's
 * ```
 */
export function graphileWorkerQueue(options: GraphileWorkerQueueOptions): GraphileWorkerQueue {
  return new GraphileWorkerQueue(options)
}
