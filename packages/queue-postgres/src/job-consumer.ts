import { isDurableError } from '@durable/core'
import type { DurableJob, RunClaimer } from '@durable/queue-adapter'
import type { TakenJob } from '@durable/store-postgres'
import { claimDueJobs } from './queries/claim-due-jobs.js'
import type { Executor } from './queries/executor.js'
import { insertJob } from './queries/insert-job.js'
import { nextDueIn } from './queries/next-due-in.js'

/** Where the queue reports trouble it recovers from (a pino or console-like logger fits). */
export interface QueueLogger {
  warn(obj: unknown, msg?: string): void
}

/** What a consumer needs from its queue. @internal */
export interface ConsumerContext {
  readonly db: Executor
  readonly schema: string
  readonly channel: string
  readonly pollIntervalMs: number
  readonly logger: QueueLogger | undefined
  /** Subscribes to the queue's channel; throws a `DurableError` when the store cannot listen. */
  readonly listen: (onNotify: () => void) => Promise<() => Promise<void>>
  /** The store's take of due jobs that claims their runs in the same statement, when it has one. */
  readonly claimJobRuns:
    ((limit: number, claim: { owner: string; now: Date; leaseUntil: Date; definitions: RunClaimer['definitions']; except: readonly string[] }) => Promise<TakenJob[]>) | undefined
}

/** Backoff after consecutive database errors: 250 ms, doubling, at most 10 s. */
const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 10_000
/**
 * When a due job was left by the claim, look again this soon. Usually it fell due a moment after
 * the claim; otherwise another session holds its row (a consumer claiming it, or a transaction
 * re-dispatching it, whose commit will NOTIFY): no need to spin on it.
 */
const SKIPPED_RECHECK_MS = 100
/** After a failed LISTEN, how long to rely on polling alone before trying again. */
const LISTEN_RETRY_MS = 5_000

/**
 * One `consume()` call: a loop that claims due jobs into free handler slots, then sleeps until
 * a NOTIFY, a freed slot, the next known `run_at` or the poll interval, whichever comes first.
 *
 * The loop holds no connection between its statements: each claim is one autocommit statement,
 * and the handler runs after it returned. That matters twice on PGlite, which is one session
 * shared by the whole store: a held connection would block every other query, handlers included.
 *
 * @internal
 */
export class JobConsumer {
  readonly #context: ConsumerContext
  readonly #handler: (job: DurableJob) => Promise<void>
  readonly #concurrency: number
  readonly #claimer: RunClaimer | undefined
  readonly #inFlight = new Set<Promise<void>>()
  #loop: Promise<void> = Promise.resolve()
  #stopping = false
  #stopped: Promise<void> | undefined
  /** Set by every wake-up, so one that arrives while the loop is busy is not lost. */
  #wakeRequested = false
  #endSleep: (() => void) | undefined
  #listenState: 'off' | 'pending' | 'on' | 'unsupported' = 'off'
  #listenAttempt: Promise<void> = Promise.resolve()
  #lastListenAt = -Infinity
  #unlisten: (() => Promise<void>) | undefined

  constructor(context: ConsumerContext, handler: (job: DurableJob) => Promise<void>, concurrency: number, claimer: RunClaimer | undefined) {
    this.#context = context
    this.#handler = handler
    this.#concurrency = concurrency
    this.#claimer = claimer
  }

  /** Listens (when the store can), then starts the loop. */
  async start(): Promise<void> {
    // Wait for the first LISTEN so a job dispatched right after consume() resolves wakes us.
    this.#tryListen()
    await this.#listenAttempt
    this.#loop = this.#run()
  }

  /** Makes the loop look for jobs now. */
  wake(): void {
    this.#wakeRequested = true
    this.#endSleep?.()
  }

  /** Stops claiming, waits for running handlers, stops listening. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown()
    return this.#stopped
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true
    this.#endSleep?.()
    await this.#loop
    await Promise.all(this.#inFlight)
    await this.#listenAttempt
    await this.#unlisten?.().catch((error: unknown) => this.#warn(error, 'UNLISTEN failed'))
  }

  async #run(): Promise<void> {
    const { db, schema, pollIntervalMs } = this.#context
    let failures = 0
    while (!this.#stopping) {
      this.#wakeRequested = false
      let waitMs = pollIntervalMs
      try {
        const free = this.#concurrency - this.#inFlight.size
        // With no free slot, sleep until a handler finishes: it wakes the loop.
        if (free > 0) {
          const jobs = await this.#take(free)
          if (this.#stopping) {
            // A claimed run goes to the handler all the same: the stopping worker gives its lease back.
            for (const job of jobs) if (job.claimed !== undefined) this.#runHandler(job)
            await this.#handBack(jobs.filter((job) => job.claimed === undefined))
            break
          }
          for (const job of jobs) this.#runHandler(job)
          if (jobs.length === free) {
            waitMs = 0 // a full batch: more may be due, so claim again as soon as a slot frees
          } else {
            const dueIn = await nextDueIn(db, schema)
            // +1: timers may fire a little early, and a claim a hair too soon finds nothing.
            if (dueIn !== undefined) waitMs = Math.min(waitMs, dueIn > 0 ? Math.ceil(dueIn) + 1 : SKIPPED_RECHECK_MS)
          }
        }
        failures = 0
        this.#tryListen() // the database answers again: if LISTEN had failed, try it again
      } catch (error) {
        // A restarting server, a dropped connection: keep the process alive and retry later.
        failures++
        waitMs = Math.min(RETRY_MIN_MS * 2 ** (failures - 1), RETRY_MAX_MS)
        this.#warn(error, `claiming jobs failed (${failures} in a row); retrying in ${waitMs} ms`)
      }
      await this.#sleep(waitMs)
    }
  }

  /** Takes up to `limit` due jobs, with their runs claimed when the worker asked for that and the store can. */
  async #take(limit: number): Promise<TakenJob[]> {
    const { db, schema, claimJobRuns } = this.#context
    const lease = claimJobRuns !== undefined ? await this.#claimer?.lease() : undefined
    if (lease === undefined || claimJobRuns === undefined || this.#claimer === undefined) return claimDueJobs(db, schema, limit)
    return claimJobRuns(limit, { owner: this.#claimer.owner, definitions: this.#claimer.definitions, now: lease.now, leaseUntil: lease.leaseUntil, except: lease.driving })
  }

  #runHandler(job: DurableJob): void {
    const running: Promise<void> = (async () => {
      try {
        await this.#handler(job)
      } catch (error) {
        // The job is gone (deleted on claim); the provider's reconciler wakes the run again.
        this.#context.logger?.warn({ err: error, runId: job.runId }, 'queue-postgres: a job handler threw')
      }
    })().finally(() => {
      this.#inFlight.delete(running)
      this.wake() // a slot is free
    })
    this.#inFlight.add(running)
  }

  /**
   * Puts back jobs that a claim returned after `stop()` began, so another consumer takes them at
   * once instead of after the reconciler's scan. If that fails, the reconciler still will.
   */
  async #handBack(jobs: ReadonlyArray<{ runId: string; runAt: Date }>): Promise<void> {
    const { db, schema, channel, pollIntervalMs } = this.#context
    for (const job of jobs) {
      await insertJob(db, schema, job, { channel, withinMs: pollIntervalMs }).catch((error: unknown) => this.#warn(error, `could not hand job of run "${job.runId}" back on stop`))
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested || this.#stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#endSleep = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#endSleep = done
    })
  }

  /**
   * Subscribes to NOTIFY in the background. A `DurableError` means the store cannot listen at
   * all (e.g. built from a bare Kysely instance): poll only. Other errors are passing trouble,
   * tried again at most every few seconds; polling covers the gap. (On `pg` the store itself
   * re-LISTENs after a dropped connection once a subscription exists.)
   */
  #tryListen(): void {
    if (this.#listenState !== 'off' || this.#stopping || Date.now() - this.#lastListenAt < LISTEN_RETRY_MS) return
    this.#listenState = 'pending'
    this.#lastListenAt = Date.now()
    this.#listenAttempt = this.#context
      .listen(() => this.wake())
      .then(
        (unlisten) => {
          this.#unlisten = unlisten
          this.#listenState = 'on'
          this.wake() // a NOTIFY may have been sent before we listened
        },
        (error: unknown) => {
          this.#listenState = isDurableError(error) ? 'unsupported' : 'off'
          if (this.#listenState === 'off') this.#warn(error, 'LISTEN failed; polling until it works again')
        },
      )
  }

  #warn(error: unknown, message: string): void {
    this.#context.logger?.warn({ err: error, schema: this.#context.schema, channel: this.#context.channel }, `queue-postgres: ${message}`)
  }
}
