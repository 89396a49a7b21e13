import { rmSync } from 'node:fs'
import { PGlite } from '@electric-sql/pglite'
import type { Duration, JournalEntry, PendingSignal, Workflow, WorkflowInput } from '@durable/core'
import {
  consoleLogger,
  createDurable,
  type Durable,
  type DurableOptions,
  type DurableWorker,
  type DurableStats,
  type Logger,
  type ListOptions,
  type PruneOptions,
  type RunFilter,
  type StartItem,
  type RunSnapshot,
  type RunSummary,
  type ScheduleInfo,
  type WorkerOptions,
} from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { DataDirLock } from './data-dir-lock.js'
import { SocketServer, socketPath } from './socket-server.js'

/** Options of `embeddedDurable`. */
export interface EmbeddedDurableOptions extends Omit<DurableOptions, 'store' | 'queue'> {
  /** Where PGlite keeps its files. Default `.durable`; `'memory://'` keeps nothing. */
  readonly dataDir?: string
  /** How often idle workers look for due jobs when no notification came. Default 500 ms. */
  readonly pollIntervalMs?: number
  /**
   * Serve the database on a Unix socket in the data directory (`<dataDir>/.s.PGSQL.5432`), so
   * that the `durable` CLI and dashboard, or `psql -h <dataDir>`, can read and steer the runs
   * while this process has it open. Default `true`; never for `memory://` or on Windows.
   */
  readonly serve?: boolean
}

/** A socket client idle inside a transaction this long is disconnected: the app waits no longer. */
const IDLE_IN_TRANSACTION_MS = 10_000

/**
 * Durable workflows with no server to install: PGlite (Postgres compiled to WebAssembly) in
 * this process, with the Postgres store and queue on top. Returns the same object as
 * `createDurable`; tables are created on first use.
 *
 * ### Example
 * ```ts
 * const durable = embeddedDurable({ workflows: [checkout] })
 * await durable.worker().start()
 * const runId = await durable.start(checkout, { sku: 'A1', qty: 2 })
 * console.log(await durable.waitFor(runId))
 * ```
 */
export function embeddedDurable(options: EmbeddedDurableOptions): Durable {
  return new EmbeddedDurable(options)
}

class EmbeddedDurable implements Durable {
  readonly #inner: Durable
  readonly #store: PostgresStore
  readonly #lock: DataDirLock | undefined
  readonly #pglite: PGlite
  readonly #ready: Promise<void>
  readonly #socketPath: string | undefined
  #socketServer: SocketServer | undefined

  constructor(options: EmbeddedDurableOptions) {
    const { dataDir = '.durable', pollIntervalMs = 500, serve = true, ...rest } = options
    const inMemory = dataDir.startsWith('memory://')
    // The lock comes first: PGlite must not open files another process is writing.
    this.#lock = inMemory ? undefined : DataDirLock.acquire(dataDir)
    this.#socketPath = inMemory || !serve || process.platform === 'win32' ? undefined : socketPath(dataDir)
    // A socket left by a process that was killed: we hold the lock, so nobody serves it.
    if (this.#lock) rmSync(socketPath(dataDir), { force: true })
    this.#pglite = new PGlite(inMemory ? undefined : dataDir)
    this.#store = postgresStore({ pglite: this.#pglite })
    this.#inner = createDurable({ ...rest, store: this.#store, queue: postgresQueue({ store: this.#store, pollIntervalMs }) })
    this.#ready = this.#open(rest.logger ?? consoleLogger)
    this.#ready.catch(() => {})
  }

  async #open(logger: Logger): Promise<void> {
    await this.#inner.migrate()
    await this.#recoverLeases()
    if (this.#socketPath !== undefined) {
      // Served once migrated, so a client never sees a database without its tables.
      try {
        this.#socketServer = await SocketServer.start({ pglite: this.#pglite, db: this.#store.db, path: this.#socketPath, idleInTransactionMs: IDLE_IN_TRANSACTION_MS })
      } catch (error) {
        // Watching is a convenience: the app runs on without it (a path too long for a socket, say).
        logger.warn({ err: error, path: this.#socketPath }, `the embedded database is not served on ${this.#socketPath}: the durable CLI cannot read it while this process runs`)
      }
    }
  }

  /**
   * This process owns the database (the lock says so), so a lease still held was held by a
   * process that died: expire it now instead of waiting `leaseMs` for the takeover.
   */
  async #recoverLeases(): Promise<void> {
    const runs = sql.table(`${this.#store.schema}.runs`)
    await sql`update ${runs} set lease_expires_at = now() - interval '1 millisecond' where lease_owner is not null`.execute(this.#store.db)
  }

  async migrate(): Promise<void> {
    await this.#ready
  }

  async start<W extends Workflow>(workflow: W | string, input?: WorkflowInput<W>, options?: { idempotencyKey?: string }): Promise<string> {
    await this.#ready
    return this.#inner.start(workflow, input, options)
  }

  async find(runId: string): Promise<RunSnapshot> {
    await this.#ready
    return this.#inner.find(runId)
  }

  async waitFor(runId: string, options?: { timeout?: Duration }): Promise<RunSnapshot> {
    await this.#ready
    return this.#inner.waitFor(runId, options)
  }

  async list(options?: ListOptions): Promise<{ runs: RunSummary[]; nextCursor?: string }> {
    await this.#ready
    return this.#inner.list(options)
  }

  async journal(runId: string): Promise<JournalEntry[]> {
    await this.#ready
    return this.#inner.journal(runId)
  }

  async pendingSignals(runId: string): Promise<PendingSignal[]> {
    await this.#ready
    return this.#inner.pendingSignals(runId)
  }

  async stats(): Promise<DurableStats> {
    await this.#ready
    return this.#inner.stats()
  }

  async signal(runId: string, name: string, payload?: unknown): Promise<void> {
    await this.#ready
    return this.#inner.signal(runId, name, payload)
  }

  async cancel(runId: string, options?: { reason?: string }): Promise<void> {
    await this.#ready
    return this.#inner.cancel(runId, options)
  }

  async retry(runId: string): Promise<void> {
    await this.#ready
    return this.#inner.retry(runId)
  }

  async fork(runId: string, options?: { fromStep?: string; version?: string }): Promise<string> {
    await this.#ready
    return this.#inner.fork(runId, options)
  }

  async startMany<W extends Workflow>(workflow: W | string, items: ReadonlyArray<StartItem & { input?: WorkflowInput<W> }>): Promise<string[]> {
    await this.#ready
    return this.#inner.startMany(workflow, items)
  }

  async cancelMany(filter?: RunFilter, options?: { reason?: string; dryRun?: boolean }): Promise<{ count: number }> {
    await this.#ready
    return this.#inner.cancelMany(filter, options)
  }

  async retryMany(filter?: Omit<RunFilter, 'status'>, options?: { dryRun?: boolean }): Promise<{ count: number }> {
    await this.#ready
    return this.#inner.retryMany(filter, options)
  }

  async prune(options: PruneOptions): Promise<{ count: number }> {
    await this.#ready
    return this.#inner.prune(options)
  }

  async schedules(): Promise<ScheduleInfo[]> {
    await this.#ready
    return this.#inner.schedules()
  }

  worker(options?: WorkerOptions): DurableWorker {
    const worker = this.#inner.worker(options)
    const ready = this.#ready
    return {
      id: worker.id,
      async start() {
        await ready
        await worker.start()
      },
      stop: () => worker.stop(),
    }
  }

  async close(): Promise<void> {
    await this.#ready.catch(() => {})
    try {
      // First: clients' open transactions are rolled back while the store still runs.
      await this.#socketServer?.close()
      await this.#inner.close()
      // The store does not own the PGlite it was given; this object does.
      await this.#pglite.close()
    } finally {
      this.#lock?.release()
    }
  }
}
