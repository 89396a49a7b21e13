import { DurableError } from '@durable/core'
import type { DurableJob, QueueAdapter } from '@durable/queue-adapter'
import { Queue, Worker, type ConnectionOptions, type Job, type JobsOptions, type WorkerOptions } from 'bullmq'

/** Where the adapter reports trouble it recovers from (pino and console fit). */
export interface QueueLogger {
  warn(obj: unknown, msg?: string): void
}

/** Options of {@link bullmqQueue}. */
export interface BullMQQueueOptions {
  /** Redis connection: ioredis options (`{ host, port }`) or an ioredis instance (never closed by the adapter). */
  connection: ConnectionOptions
  /** The BullMQ queue that carries durable's wake-up jobs. Default `durable-wake`. */
  queueName?: string
  /** BullMQ's key prefix. Default `bull`, BullMQ's own. */
  prefix?: string
  /**
   * How long `migrate()` — and the first `dispatch()` or `consume()` — waits for Redis before
   * failing with `INVALID_INPUT`, in ms. Default 5000.
   */
  connectTimeoutMs?: number
  /**
   * Extra BullMQ worker options for every `consume()`, e.g. `{ runRetryDelay: 1000 }` to resume
   * sooner after Redis comes back (BullMQ waits 15 s by default).
   */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'concurrency' | 'autorun' | 'prefix'>
  /** Receives recoverable trouble: Redis connection errors (throttled) and failed handlers. Default: stderr. */
  logger?: QueueLogger
}

/** The payload of a wake-up job. @internal */
interface WakeData {
  runId: string
  /** ISO time the job was due, when it was dispatched with a `runAt`. */
  runAt?: string
}

/**
 * Every wake-up job: removed once handled (a job only wakes a run; the store keeps the truth),
 * and tried once — retries are the provider's business, durable in the store.
 */
const JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const satisfies JobsOptions
/** The same connection error is logged at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000

const stderrLogger: QueueLogger = { warn: (obj, msg) => console.warn(`[durable bullmq] ${msg ?? ''}`, obj) }

/**
 * A durable queue on BullMQ (Redis): each dispatch adds a job `{ runId, runAt? }` to queue
 * `queueName`, delayed with BullMQ's `delay`; each `consume()` is a BullMQ `Worker` with
 * `concurrency`. Not `transactional` — Redis cannot join a PostgreSQL transaction — so the
 * provider dispatches after commit, and its reconciler re-dispatches a run whose job was never
 * added (a crash in between) or was lost (Redis restarted without persistence). Create it with
 * {@link bullmqQueue}.
 */
export class BullMQQueue implements QueueAdapter {
  /** Redis cannot join the store's transaction: the provider dispatches after commit. */
  readonly transactional = false
  /** The BullMQ queue name. */
  readonly queueName: string
  readonly #connection: ConnectionOptions
  readonly #prefix: string | undefined
  readonly #connectTimeoutMs: number
  readonly #workerOptions: BullMQQueueOptions['workerOptions']
  readonly #logger: QueueLogger
  readonly #queue: Queue
  readonly #workers = new Set<Worker>()
  #ready: Promise<void> | undefined
  #lastError = { message: '', at: 0 }
  #closed = false

  constructor(options: BullMQQueueOptions) {
    if (typeof options?.connection !== 'object' || options.connection === null) {
      throw new DurableError('INVALID_INPUT', 'bullmqQueue: options.connection is required: ioredis options such as { host: "127.0.0.1", port: 6379 }, or an ioredis instance')
    }
    this.queueName = options.queueName ?? 'durable-wake'
    if (typeof this.queueName !== 'string' || !/^[\w.-]{1,100}$/.test(this.queueName)) {
      throw new DurableError('INVALID_INPUT', `bullmqQueue: queueName must be 1 to 100 letters, digits, "_", "-" or "." (no ":"), got ${JSON.stringify(this.queueName)}`)
    }
    const timeout = options.connectTimeoutMs ?? 5_000
    if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2 ** 31 - 1) {
      throw new DurableError('INVALID_INPUT', `bullmqQueue: connectTimeoutMs must be a number of ms above 0, got ${String(timeout)}`)
    }
    this.#connection = options.connection
    this.#prefix = options.prefix
    this.#connectTimeoutMs = timeout
    this.#workerOptions = options.workerOptions
    this.#logger = options.logger ?? stderrLogger
    // Connects lazily in the background; `#whenReady` bounds the wait with a clear error.
    this.#queue = new Queue(this.queueName, { connection: this.#connection, ...(this.#prefix ? { prefix: this.#prefix } : {}) })
    this.#queue.on('error', (error) => this.#connectionError(error))
  }

  /** Checks that Redis answers within `connectTimeoutMs`; BullMQ needs no schema. */
  async migrate(): Promise<void> {
    await this.#whenReady('migrate')
  }

  /** Adds a job `{ runId, runAt? }`, delayed until `runAt`, removed once handled. */
  async dispatch(job: DurableJob, _options?: { transaction?: unknown }): Promise<void> {
    if (typeof job?.runId !== 'string' || job.runId === '') {
      throw new DurableError('INVALID_INPUT', 'bullmqQueue.dispatch: job.runId must be a non-empty string')
    }
    const runAt = job.runAt
    if (runAt !== undefined && !(runAt instanceof Date && Number.isFinite(runAt.getTime()))) {
      throw new DurableError('INVALID_INPUT', `bullmqQueue.dispatch: job.runAt of run "${job.runId}" is not a valid Date`)
    }
    await this.#whenReady('dispatch')
    const data: WakeData = runAt ? { runId: job.runId, runAt: runAt.toISOString() } : { runId: job.runId }
    const delay = runAt ? Math.max(0, runAt.getTime() - Date.now()) : 0
    await this.#queue.add('wake', data, delay > 0 ? { ...JOB_OPTIONS, delay } : JOB_OPTIONS)
  }

  /**
   * Starts a BullMQ `Worker` with `concurrency`. `stop()` closes it: no new job starts, and it
   * resolves once running handlers finish.
   */
  async consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }): Promise<{ stop(): Promise<void> }> {
    const concurrency = options?.concurrency
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new DurableError('INVALID_INPUT', `bullmqQueue.consume: concurrency must be a positive integer, got ${String(concurrency)}`)
    }
    await this.#whenReady('consume')
    const logger = this.#logger
    const processor = async (job: Job<WakeData>): Promise<void> => {
      const { runId, runAt } = job.data ?? ({} as WakeData)
      if (typeof runId !== 'string') return logger.warn({ jobId: job.id }, 'bullmqQueue: ignored a job without a runId')
      try {
        await handler(runAt ? { runId, runAt: new Date(runAt) } : { runId })
      } catch (error) {
        // Not rethrown: the run is still due in the store, and the provider retries durably.
        logger.warn({ err: error, runId }, `bullmqQueue: handler failed for run "${runId}"`)
      }
    }
    const worker = new Worker<WakeData>(this.queueName, processor, {
      ...this.#workerOptions,
      connection: this.#connection,
      concurrency,
      autorun: true,
      ...(this.#prefix ? { prefix: this.#prefix } : {}),
    })
    worker.on('error', (error) => this.#connectionError(error))
    this.#workers.add(worker)
    let stopped: Promise<void> | undefined
    return { stop: () => (stopped ??= this.#closeWorker(worker)) }
  }

  /** Closes every worker (waiting for running handlers), then the queue's connection. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.all([...this.#workers].map((worker) => this.#closeWorker(worker)))
    // BullMQ 6 throws here when the queue never got a client (ioredis missing): nothing to close then.
    await this.#queue.close().catch((error: unknown) => this.#logger.warn({ err: error }, 'bullmqQueue: BullMQ could not close the queue'))
  }

  async #closeWorker(worker: Worker): Promise<void> {
    if (!this.#workers.delete(worker)) return
    await worker.close()
  }

  /** Resolves once the queue's Redis connection is ready; remembered, so only the first call waits. */
  #whenReady(action: string): Promise<void> {
    if (this.#closed) return Promise.reject(new DurableError('INVALID_INPUT', `bullmqQueue.${action}: the queue is closed`))
    this.#ready ??= (async () => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.#connectTimeoutMs} ms`)), this.#connectTimeoutMs)
      })
      try {
        // Ready means connected and answering: BullMQ has read the server version by then.
        await Promise.race([this.#queue.waitUntilReady(), timeout])
      } catch (error) {
        const reason = this.#lastError.message || (error instanceof Error ? error.message : String(error))
        // BullMQ 6 no longer brings ioredis: it is the app's to install, next to bullmq.
        if (/optional 'ioredis' package/.test(reason)) {
          throw new DurableError('INVALID_INPUT', `bullmqQueue.${action}: BullMQ 6 needs the ioredis package next to it: npm install ioredis`, { cause: error })
        }
        throw new DurableError(
          'INVALID_INPUT',
          `bullmqQueue.${action}: could not reach Redis at ${addressOf(this.#connection)} (${reason}); ` +
            'start redis-server or fix options.connection ({ host, port } or an ioredis instance)',
          { cause: error },
        )
      } finally {
        clearTimeout(timer)
      }
    })().catch((error: unknown) => {
      this.#ready = undefined // try again next time: Redis may be up by then
      throw error
    })
    return this.#ready
  }

  /** Logs connection errors, each distinct message at most every ten seconds (ioredis retries every second). */
  #connectionError(error: Error): void {
    const now = Date.now()
    const message = error?.message ?? String(error)
    if (message !== this.#lastError.message || now - this.#lastError.at > ERROR_LOG_INTERVAL_MS) {
      this.#logger.warn({ err: error }, `bullmqQueue: Redis connection error; BullMQ keeps retrying (${message})`)
      this.#lastError = { message, at: now }
    }
  }
}

/** `host:port` of the connection, for error messages. */
function addressOf(connection: ConnectionOptions): string {
  const options = ((connection as { options?: unknown }).options ?? connection) as { host?: string; port?: number; path?: string }
  if (options.path) return options.path
  return `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`
}

/**
 * Creates a durable queue on BullMQ. Not transactional: the provider dispatches after commit and
 * its reconciler covers the gap. `durable.migrate()` checks that Redis answers.
 *
 * ### Example
 * ```ts
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * const queue = bullmqQueue({ connection: { host: '127.0.0.1', port: 6379 } })
 * const durable = createDurable({ store, queue, workflows: [checkout] })
 * await durable.migrate() // fails fast with INVALID_INPUT when Redis is unreachable
 * ```
 */
export function bullmqQueue(options: BullMQQueueOptions): BullMQQueue {
  return new BullMQQueue(options)
}
