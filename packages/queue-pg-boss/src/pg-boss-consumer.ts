import type { DurableJob } from '@durable/queue-adapter'
import type { PgBossInstance, PgBossJob, PgBossSendOptions } from './pg-boss-instance.js'

/** Where the adapter reports trouble it recovers from (pino and console fit). */
export interface QueueLogger {
  warn(obj: unknown, msg?: string): void
}

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1
/** Hints kept per consumer; later ones are dropped (polling still finds their jobs). */
const MAX_HINTS = 256

/** The payload of a wake-up job in pg-boss. @internal */
export interface WakeData {
  runId: string
  /** ISO time the job was due, when it was dispatched with a `runAt`. */
  runAt?: string
}

/** The part of pg-boss a consumer uses. @internal */
export type ConsumerBoss = Pick<PgBossInstance, 'fetch' | 'complete' | 'fail' | 'send'>

/** What a consumer needs from its queue. @internal */
export interface ConsumerContext {
  readonly boss: ConsumerBoss
  readonly queueName: string
  readonly pollIntervalMs: number
  readonly logger: QueueLogger | undefined
  /** Options for re-sending jobs fetched after `stop()` began. */
  readonly sendOptions: PgBossSendOptions
}

/**
 * One `consume()` call: a loop that fetches up to *free slots* jobs with `boss.fetch` (pg-boss's
 * `SKIP LOCKED` claim), runs them, and completes each when its handler settles.
 *
 * Why not `boss.work()`: in pg-boss 10 a worker fetches a batch and fetches again only when the
 * whole batch is done, so one long run would hold up every slot of its batch; and one worker per
 * slot would poll the table once per slot. This loop refills a slot as soon as it frees and polls
 * once per interval, whatever the concurrency.
 *
 * pg-boss does not push jobs (no LISTEN/NOTIFY in version 10): an idle consumer polls every
 * `pollIntervalMs`, and the adapter hints it when this process dispatches (see `hint`).
 *
 * @internal
 */
export class PgBossConsumer {
  readonly #ctx: ConsumerContext
  readonly #handler: (job: DurableJob) => Promise<void>
  readonly #concurrency: number
  readonly #inFlight = new Set<Promise<void>>()
  #loop: Promise<void> | undefined
  #stopping = false
  /** Set when something happened while the loop was busy: the next sleep returns at once. */
  #nudged = false
  #sleeper: { deadline: number; timer: NodeJS.Timeout; resolve: () => void } | undefined
  /** Times (ms since epoch, ascending) at which jobs this process dispatched become visible. */
  #hints: number[] = []

  constructor(ctx: ConsumerContext, handler: (job: DurableJob) => Promise<void>, concurrency: number) {
    this.#ctx = ctx
    this.#handler = handler
    this.#concurrency = concurrency
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  /** Stops fetching, hands back jobs fetched meanwhile, and waits for running handlers. */
  async stop(): Promise<void> {
    this.#stopping = true
    this.#wake()
    await this.#loop
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight)
  }

  /**
   * A job was dispatched in this process, visible from `at` (ms since epoch): fetch then rather
   * than at the next poll. Only an optimisation — polling finds every job anyway.
   */
  hint(at: number): void {
    if (this.#stopping) return
    if (at <= Date.now()) return this.#wake()
    const index = this.#hints.findIndex((other) => other > at)
    if (index === -1) this.#hints.push(at)
    else if (this.#hints[index - 1] !== at) this.#hints.splice(index, 0, at)
    if (this.#hints.length > MAX_HINTS) this.#hints.pop()
    const sleeper = this.#sleeper
    if (sleeper) this.#sleepUntil(sleeper.deadline, sleeper.resolve)
  }

  async #run(): Promise<void> {
    let failures = 0
    while (!this.#stopping) {
      const free = this.#concurrency - this.#inFlight.size
      let full = free <= 0
      if (!full) {
        this.#nudged = false
        let jobs: Array<PgBossJob<WakeData>>
        try {
          jobs = await this.#ctx.boss.fetch<WakeData>(this.#ctx.queueName, { batchSize: free })
          failures = 0
        } catch (error) {
          // pg-boss 10 swallows database errors in fetch; anything else lands here.
          failures++
          this.#ctx.logger?.warn({ err: error, queue: this.#ctx.queueName }, 'pgBossQueue: fetching jobs failed; retrying')
          await this.#sleep(Math.min(250 * 2 ** (failures - 1), 10_000), false)
          continue
        }
        if (this.#stopping) {
          await this.#handBack(jobs)
          break
        }
        for (const job of jobs) this.#deliver(job)
        // A full batch means more may be waiting: fetch again as soon as a slot is free.
        full = jobs.length === free
        if (full && this.#inFlight.size < this.#concurrency) continue
      }
      await this.#sleep(this.#ctx.pollIntervalMs, full)
    }
  }

  #deliver(job: PgBossJob<WakeData>): void {
    const { boss, queueName, logger } = this.#ctx
    const data = job.data ?? ({} as WakeData)
    const wake: DurableJob = data.runAt ? { runId: data.runId, runAt: new Date(data.runAt) } : { runId: data.runId }
    const running: Promise<void> = (async () => {
      let failure: unknown
      try {
        await this.#handler(wake)
      } catch (error) {
        failure = error
        logger?.warn({ err: error, runId: wake.runId }, `pgBossQueue: handler failed for run "${wake.runId}"`)
      }
      try {
        // Completing (or failing) keeps pg-boss's own bookkeeping right; retries are the
        // provider's business, so jobs are sent with retryLimit 0 and a failure is final.
        if (failure === undefined) await boss.complete(queueName, job.id)
        else await boss.fail(queueName, job.id, { message: failure instanceof Error ? failure.message : String(failure) })
      } catch (error) {
        logger?.warn({ err: error, jobId: job.id }, 'pgBossQueue: could not complete a job; pg-boss will expire it')
      }
    })().finally(() => {
      this.#inFlight.delete(running)
      this.#wake()
    })
    this.#inFlight.add(running)
  }

  /** Jobs fetched after `stop()` began go back to the queue as new jobs, for another consumer. */
  async #handBack(jobs: Array<PgBossJob<WakeData>>): Promise<void> {
    const { boss, queueName, sendOptions, logger } = this.#ctx
    for (const job of jobs) {
      try {
        await boss.send(queueName, job.data, sendOptions)
        await boss.complete(queueName, job.id)
      } catch (error) {
        // Lost at worst: the provider's reconciler re-dispatches the run.
        logger?.warn({ err: error, jobId: job.id }, 'pgBossQueue: could not hand a job back on stop')
      }
    }
  }

  /** Sleeps `ms` (or until the next hinted due time), unless woken by a freed slot, a hint or stop. */
  #sleep(ms: number, untilWoken: boolean): Promise<void> {
    if (this.#stopping) return Promise.resolve()
    if (this.#nudged) {
      // Consumed here, or a loop with every slot busy would spin without ever yielding to timers.
      this.#nudged = false
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#sleepUntil(untilWoken ? Number.POSITIVE_INFINITY : Date.now() + ms, resolve))
  }

  #sleepUntil(deadline: number, resolve: () => void): void {
    if (this.#sleeper) clearTimeout(this.#sleeper.timer)
    // Hints already passed were looked for by an earlier fetch (or are being looked for now).
    const now = Date.now()
    while (this.#hints.length > 0 && this.#hints[0]! <= now) this.#hints.shift()
    const wakeAt = Math.min(deadline, this.#hints[0] ?? Number.POSITIVE_INFINITY)
    const delay = Number.isFinite(wakeAt) ? Math.min(Math.max(wakeAt - now, 0), MAX_TIMER_MS) : MAX_TIMER_MS
    const timer = setTimeout(() => this.#wake(), delay)
    this.#sleeper = { deadline, timer, resolve }
  }

  #wake(): void {
    const sleeper = this.#sleeper
    if (!sleeper) {
      this.#nudged = true
      return
    }
    this.#sleeper = undefined
    clearTimeout(sleeper.timer)
    sleeper.resolve()
  }
}
