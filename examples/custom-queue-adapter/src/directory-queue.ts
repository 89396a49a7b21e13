/**
 * A QueueAdapter written from scratch: jobs are files in a directory. It is small on purpose —
 * the walkthrough in docs/custom-queue-adapter.md explains each member — and it works: several
 * processes on one machine can share a directory, and jobs survive a restart.
 *
 * Layout: `<dir>/tmp` (files being written), `<dir>/ready` (queued jobs), `<dir>/claimed` (jobs a
 * consumer took). A job file is named `<due time, ms, 15 digits>-<uuid>.json`, so sorting the
 * names sorts the jobs by due time. `rename` is atomic within a file system: a job appears in
 * `ready/` whole, and exactly one consumer wins the rename into `claimed/`.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DurableError } from '@durable/core'
import type { DurableJob, QueueAdapter } from '@durable/queue-adapter'

/** Options of {@link directoryQueue}. */
export interface DirectoryQueueOptions {
  /** Where the jobs live; `migrate()` creates it. */
  dir: string
  /** How often an idle consumer lists the directory, in ms. Default 200. */
  pollIntervalMs?: number
  /** Receives failed handlers and failed listings (delivery goes on). Default: `console.warn`. */
  onError?: (error: unknown) => void
}

/** A queue whose jobs are files. Not transactional: a file system cannot join a database transaction. */
export class DirectoryQueue implements QueueAdapter {
  /** The provider dispatches after commit; its reconciler covers a crash in between. */
  readonly transactional = false
  readonly #dir: string
  readonly #pollIntervalMs: number
  readonly #onError: (error: unknown) => void
  readonly #consumers = new Set<DirectoryConsumer>()

  constructor(options: DirectoryQueueOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new DurableError('INVALID_INPUT', 'directoryQueue: options.dir must be a directory path')
    this.#dir = options.dir
    this.#pollIntervalMs = options.pollIntervalMs ?? 200
    this.#onError = options.onError ?? ((error) => console.warn('directoryQueue:', error))
  }

  /** Creates the three directories; idempotent. */
  async migrate(): Promise<void> {
    for (const sub of ['tmp', 'ready', 'claimed']) await mkdir(join(this.#dir, sub), { recursive: true })
  }

  /** Writes the job to `tmp/`, then renames it into `ready/`: consumers never see half a file. */
  async dispatch(job: DurableJob): Promise<void> {
    if (typeof job?.runId !== 'string' || job.runId === '') throw new DurableError('INVALID_INPUT', 'directoryQueue.dispatch: job.runId must be a non-empty string')
    const due = job.runAt?.getTime() ?? Date.now()
    if (!Number.isFinite(due)) throw new DurableError('INVALID_INPUT', `directoryQueue.dispatch: job.runAt of run "${job.runId}" is not a valid Date`)
    const name = `${String(Math.max(due, 0)).padStart(15, '0')}-${randomUUID()}.json`
    try {
      await writeFile(join(this.#dir, 'tmp', name), JSON.stringify({ runId: job.runId }))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DurableError('INVALID_INPUT', `directoryQueue.dispatch: ${this.#dir} is not set up; run durable.migrate() first`, { cause: error })
      }
      throw error
    }
    await rename(join(this.#dir, 'tmp', name), join(this.#dir, 'ready', name))
    // A hint for consumers in this process; other processes find the file when they poll.
    for (const consumer of this.#consumers) consumer.poke()
  }

  /** Starts a consumer: claims due files into at most `concurrency` running handlers. */
  async consume(handler: (job: DurableJob) => Promise<void>, options: { concurrency: number }): Promise<{ stop(): Promise<void> }> {
    if (!Number.isInteger(options?.concurrency) || options.concurrency < 1) {
      throw new DurableError('INVALID_INPUT', `directoryQueue.consume: concurrency must be a positive integer, got ${String(options?.concurrency)}`)
    }
    const consumer = new DirectoryConsumer(this.#dir, this.#pollIntervalMs, this.#onError, handler, options.concurrency)
    this.#consumers.add(consumer)
    return {
      stop: async () => {
        this.#consumers.delete(consumer)
        await consumer.stop()
      },
    }
  }

  /** Stops every consumer. The files stay: they are the queue. */
  async close(): Promise<void> {
    await Promise.all([...this.#consumers].map((consumer) => consumer.stop()))
    this.#consumers.clear()
  }
}

/** One `consume()` call: list, claim, run, sleep; until `stop()`. */
class DirectoryConsumer {
  readonly #inFlight = new Set<Promise<void>>()
  readonly #loop: Promise<void>
  #stopping = false
  #poked = false
  #wake: (() => void) | undefined

  constructor(
    readonly dir: string,
    readonly pollIntervalMs: number,
    readonly onError: (error: unknown) => void,
    readonly handler: (job: DurableJob) => Promise<void>,
    readonly concurrency: number,
  ) {
    this.#loop = this.#run()
  }

  /** Something changed (a dispatch, a freed slot, stop): look again now. */
  poke(): void {
    this.#poked = true
    this.#wake?.()
  }

  async stop(): Promise<void> {
    this.#stopping = true
    this.poke()
    await this.#loop
    await Promise.all(this.#inFlight)
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#poked = false
      try {
        await this.#claimDueJobs()
      } catch (error) {
        this.onError(error) // and try again after the poll interval
      }
      if (this.#poked) continue
      // Sleep until poked or the poll interval passes (a delayed job may have fallen due).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollIntervalMs)
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.#wake = undefined
    }
  }

  async #claimDueJobs(): Promise<void> {
    const names = (await readdir(join(this.dir, 'ready'))).sort()
    for (const name of names) {
      if (this.#stopping || this.#inFlight.size >= this.concurrency) return
      if (Number(name.slice(0, 15)) > Date.now()) return // sorted by due time: the rest are later
      const claimed = join(this.dir, 'claimed', name)
      try {
        await rename(join(this.dir, 'ready', name), claimed)
      } catch {
        continue // another consumer won this file
      }
      this.#start(claimed)
    }
  }

  #start(file: string): void {
    const running: Promise<void> = (async () => {
      try {
        const job = JSON.parse(await readFile(file, 'utf8')) as DurableJob
        await this.handler({ runId: job.runId })
      } catch (error) {
        // Delivery is done either way: retries are the provider's business, in its store.
        this.onError(error)
      } finally {
        // If the process dies before this line, the file stays in claimed/ and nobody reads it
        // again: the job is lost, and the provider's reconciler re-dispatches the run.
        await unlink(file).catch(() => {})
      }
    })().finally(() => {
      this.#inFlight.delete(running)
      this.poke()
    })
    this.#inFlight.add(running)
  }
}

/**
 * Creates a queue whose jobs are files in `dir`.
 *
 * ### Example
 * ```ts
 * const durable = createDurable({ store, queue: directoryQueue({ dir: '.jobs' }), workflows })
 * await durable.migrate() // creates .jobs/{tmp,ready,claimed}
 * ```
 */
export function directoryQueue(options: DirectoryQueueOptions): DirectoryQueue {
  return new DirectoryQueue(options)
}
