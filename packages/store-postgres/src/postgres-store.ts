import {
  assertOneUpdatePerRun,
  DurableError,
  FLOW_RECHECK_MS,
  RESULT_KINDS,
  type JournalKind,
  type ResultEntry,
  type ClaimResult,
  type DefinitionKey,
  type JournalEntry,
  type Json,
  type ListRunsQuery,
  type NewRun,
  type PendingSignal,
  type PruneRunsQuery,
  type RunChange,
  type RunRecord,
  type RunStats,
  type RunStore,
  type RunUpdate,
  type ScheduleAdvance,
  type ScheduleDefinitionRecord,
  type ScheduleRecord,
  type WorkerLiveness,
} from '@durable/core'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { ChannelListener } from './channel-listener.js'
import type { PostgresTransaction } from './durable-types.js'
import { assertSchemaName } from './identifiers.js'
import { storeMigrations } from './migrations/migrations.js'
import { ErrorTranslatingDialect } from './error-translating-dialect.js'
import { PREPARED } from './prepared-statements.js'
import { FencedTransactions } from './fenced-transactions.js'
import { clientLike, poolClientClass, withMigrationLock } from './migration-lock.js'
import { PgListener } from './pg-listener.js'
import { PGliteDialect } from './pglite-dialect.js'
import { PGliteListener } from './pglite-listener.js'
import { postgresPool } from './postgres-pool.js'
import type { PostgresStoreOptions } from './postgres-store-options.js'
import { changeRun } from './queries/change-run.js'
import { claimRun } from './queries/claim-run.js'
import { claimJobRuns, type TakenJob } from './queries/claim-job-runs.js'
import { definitionMatch } from './queries/definition-match.js'
import { insertRun } from './queries/create-run.js'
import { pruneRuns } from './queries/prune-runs.js'
import { updateRuns } from './queries/update-runs.js'
import { insertRuns } from './queries/create-runs.js'
import { runStats } from './queries/stats.js'
import { advanceSchedule, listSchedules, saveSchedules } from './queries/schedules.js'
import { notMigrated, toNotMigratedError } from './store-errors.js'
import { leaseHolderDead } from './queries/dead-lease-holder.js'
import { JOURNAL_COLUMNS, runColumns, tablesIn, toDate, toJournalEntry, toRunRecord, type JournalRow, type RunRow, type Tables } from './rows.js'
import { LivenessConnection } from './worker-liveness.js'

const DEFAULT_SCHEMA = 'durable'
const DEFAULT_POOL_SIZE = 10

/**
 * The PostgreSQL `RunStore`: runs and their journals in two tables of one schema, through
 * Kysely, on `pg` or PGlite. Create it with {@link postgresStore}.
 *
 * `db` and `schema` are public so that packages sharing the database (the default queue) can
 * write in the store's transactions and schema.
 */
export class PostgresStore implements RunStore {
  /** The store's Kysely instance. Inside `transaction(fn)`, use `fn`'s `tx` instead. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>
  /** The schema of the store's tables (validated, safe to quote with `sql.id`). */
  readonly schema: string
  readonly #tables: Tables
  readonly #newListener: (() => ChannelListener) | undefined
  readonly #destroy: (() => Promise<void>) | undefined
  readonly #fenced = new FencedTransactions()
  /** A connection outside the pool for the migration lock; none on PGlite (one process) or `{ db }`. */
  readonly #lockClient: (() => pg.Client) | undefined
  readonly #liveness: LivenessConnection | undefined
  /** PGlite runs in this process. */
  readonly #inProcess: boolean
  #listener: ChannelListener | undefined
  #closed = false

  constructor(options: PostgresStoreOptions) {
    const given = (['connectionString', 'pool', 'db', 'pglite'] as const).filter((key) => options?.[key] !== undefined)
    if (given.length === 0 && typeof options === 'object' && options !== null && 'connectionString' in options) {
      throw new DurableError(
        'INVALID_INPUT',
        'postgresStore got connectionString: undefined — is DATABASE_URL set? Pass a connection string such as postgres://user:password@127.0.0.1:5432/app',
      )
    }
    if (given.length !== 1) {
      throw new DurableError('INVALID_INPUT', `postgresStore needs exactly one of connectionString, pool, db or pglite (got ${given.length ? given.join(', ') : 'none'})`)
    }
    const schema = options.schema ?? DEFAULT_SCHEMA
    assertSchemaName(schema)
    this.schema = schema
    this.#tables = tablesIn(schema)

    if (options.connectionString !== undefined) {
      // Never echo the connection string: it usually holds a password.
      if (typeof options.connectionString !== 'string' || options.connectionString.length === 0) {
        throw new DurableError('INVALID_INPUT', 'connectionString must be a non-empty string')
      }
      const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE
      if (!Number.isInteger(poolSize) || poolSize < 1) {
        throw new DurableError('INVALID_INPUT', `poolSize must be a positive integer (got ${String(poolSize)})`)
      }
      const pool = postgresPool(options.connectionString, { max: poolSize })
      surviveBrokenConnections(pool)
      this.db = new Kysely({ dialect: new ErrorTranslatingDialect(new PostgresDialect({ pool }), { schema }) })
      this.#newListener = () => new PgListener(pool)
      this.#lockClient = clientLike(pool)
      this.#destroy = () => this.db.destroy()
      this.#liveness = new LivenessConnection(pool.options, poolClientClass(pool))
    } else if (options.pool !== undefined) {
      const pool = options.pool
      surviveBrokenConnections(pool)
      this.db = new Kysely({ dialect: new ErrorTranslatingDialect(new PostgresDialect({ pool }), { schema }) })
      this.#newListener = () => new PgListener(pool)
      this.#lockClient = clientLike(pool)
      this.#destroy = undefined // Kysely's destroy() would end the caller's pool.
      // The pool's settings, on a connection of its own (see LivenessConnection).
      // pg keeps the password out of the options' enumerable keys: a spread alone would drop it.
      this.#liveness = new LivenessConnection({ ...pool.options, password: pool.options.password }, poolClientClass(pool))
    } else if (options.pglite !== undefined) {
      const pglite = options.pglite
      this.db = new Kysely({ dialect: new ErrorTranslatingDialect(new PGliteDialect({ pglite }), { schema }) })
      this.#newListener = () => new PGliteListener(pglite, this.db)
      this.#lockClient = undefined
      this.#destroy = undefined
    } else {
      this.db = options.db as NonNullable<typeof options.db>
      this.#newListener = undefined
      this.#lockClient = undefined
      this.#destroy = undefined
    }
    this.#inProcess = options.pglite !== undefined
    if (this.#liveness !== undefined) {
      const liveness = this.#liveness
      this.holdLiveness = (owner) => liveness.hold(owner)
    }
  }

  /**
   * Shows other workers that the worker `owner` lives, by a session-level advisory lock on a
   * connection of the store's own (with TCP keepalives of about a second on both ends), until
   * `release()` or until this process dies: its unexpired leases are then free for the claims of
   * other workers, which take its runs over within about two seconds whatever `leaseMs` is.
   * Present on stores created from `{ connectionString }` or `{ pool }` only. Not on PGlite: one
   * process serves its database, and all its workers share one session, where advisory locks
   * cannot tell them apart. Not on `{ db }`: Kysely gives no connection of its own. Workers of
   * those stores keep their leases until they expire.
   */
  readonly holdLiveness?: (owner: string) => Promise<WorkerLiveness>

  /**
   * The database's time (`clock_timestamp()`), read in one round trip; the runtime's clock
   * follows it. PGlite runs in this process: its clock is this process's clock, read at once.
   */
  async now(): Promise<Date> {
    if (this.#inProcess) return new Date()
    const { rows } = await sql<{ now: Date | string }>`SELECT clock_timestamp() AS now`.execute(this.db)
    return toDate(rows[0]!.now)
  }

  /**
   * Creates the schema and tables, or upgrades them, then runs `options.alongside` (the queue's
   * migrations: `durable.migrate()` passes them); idempotent. Safe to run from many processes at
   * once: on `pg` (a connection string or a pool), all of it runs under a session advisory lock
   * on a connection of its own, so processes migrating one database go one after the other —
   * whichever queue engine they migrate too. Each migration runs in a transaction (Kysely's
   * `Migrator`, which locks its own too). Its bookkeeping tables are `store_migration` and
   * `store_migration_lock` in the store's schema. On PGlite (one process) there is nothing to
   * serialize; a store built from `{ db }` relies on the `Migrator`'s lock alone.
   */
  async migrate(options: { alongside?: () => Promise<void> } = {}): Promise<void> {
    const migrateAll = async (): Promise<void> => {
      const { error } = await this.#migrator().migrateToLatest()
      if (error !== undefined) throw error
      await options.alongside?.()
    }
    await (this.#lockClient ? withMigrationLock(this.#lockClient, migrateAll) : migrateAll())
  }

  /**
   * Throws `NOT_MIGRATED` unless every migration this code knows has been applied: the tables
   * are missing, or older than this code. A database migrated by newer code passes (its
   * migrations add; they do not take away). One small query; a worker runs it when it starts.
   */
  async assertMigrated(): Promise<void> {
    const known = Object.keys(await storeMigrations(this.schema).getMigrations())
    let applied: Set<string>
    try {
      const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.id(this.schema, 'store_migration')}`.execute(this.db)
      applied = new Set(rows.map((row) => row.name))
    } catch (error) {
      // Translated already on a store of ours; a store built from { db } gets the raw error.
      throw toNotMigratedError(error, this.schema)
    }
    const missing = known.filter((name) => !applied.has(name))
    if (missing.length > 0) throw notMigrated(this.schema, `not applied: ${missing.join(', ')}`)
  }

  #migrator(): Migrator {
    return new Migrator({
      db: this.db,
      provider: storeMigrations(this.schema),
      migrationTableSchema: this.schema,
      migrationTableName: 'store_migration',
      migrationLockTableName: 'store_migration_lock',
    })
  }

  /**
   * Inserts a run (due at once, `due_at = now`), or returns the id of the run of the same
   * workflow that already has its idempotency key (`created: false`; `inTransaction` is then not
   * called). `inTransaction` runs in the insert's transaction: if it throws, nothing is written.
   */
  async createRun(run: NewRun, inTransaction?: (tx: PostgresTransaction) => Promise<void>): Promise<{ runId: string; created: boolean }> {
    if (!inTransaction) return insertRun(this.db, this.#tables, run)
    return this.transaction(async (tx) => {
      const result = await insertRun(tx, this.#tables, run)
      if (result.created) await inTransaction(tx)
      return result
    })
  }

  /**
   * Inserts runs in one transaction, in order (one statement each), or finds the runs that hold
   * their idempotency keys. `inTransaction` gets the ids created and runs before the commit: if
   * it throws, nothing is written.
   */
  async createRuns(
    runs: readonly NewRun[],
    inTransaction?: (tx: PostgresTransaction, created: readonly string[]) => Promise<void>,
  ): Promise<Array<{ runId: string; created: boolean }>> {
    return this.transaction(async (tx) => {
      const results = await insertRuns(tx, this.#tables, runs)
      await inTransaction?.(
        tx,
        results.filter((r) => r.created).map((r) => r.runId),
      )
      return results
    })
  }

  /**
   * Takes the lease of a run if it exists, is active, was started with one of `definitions`, is due, and
   * no live worker leases it — in one statement, under the row's `FOR UPDATE` lock.
   */
  async claimRun(runId: string, claim: { owner: string; now: Date; leaseUntil: Date; definitions: readonly DefinitionKey[] }): Promise<ClaimResult> {
    const result = await claimRun(this.db, this.#tables, runId, claim)
    if (result.claimed) this.#fenced.claimed(claim.owner, runId)
    return result
  }

  /**
   * Takes up to `limit` due jobs of queue-postgres's table `jobsTable` (`schema.jobs`) and claims,
   * in the same statement, each of their runs that a plain claim would take at once, apart from
   * the runs in `claim.except` (the worker drives them already); the others come back as bare
   * jobs, for `claimRun`. Used by `postgresQueue` when a worker consumes with
   * `claimRuns`.
   *
   * @internal
   */
  async claimJobRuns(
    jobsTable: string,
    limit: number,
    claim: { owner: string; now: Date; leaseUntil: Date; definitions: readonly DefinitionKey[]; except: readonly string[] },
  ): Promise<TakenJob[]> {
    const taken = await claimJobRuns(this.db, this.#tables, jobsTable, limit, claim)
    for (const job of taken) if (job.claimed !== undefined) this.#fenced.claimed(claim.owner, job.runId)
    return taken
  }

  /** A run's journal entries that carry step results (core's `RESULT_KINDS`), in journal order. */
  async loadResults(runId: string): Promise<ResultEntry[]> {
    const { rows } = await sql<{ step_key: string; step_name: string; kind: JournalKind; result: string | null }>`${sql.raw(PREPARED)}
      SELECT step_key, step_name, kind, result::text AS result FROM ${this.#tables.journal}
      WHERE run_id = ${runId} AND kind = ANY(cast(${[...RESULT_KINDS]} AS text[]))
      ORDER BY seq
    `.execute(this.db)
    return rows.map((row) => ({
      stepKey: row.step_key,
      stepName: row.step_name,
      kind: row.kind,
      result: row.result === null ? null : (JSON.parse(row.result) as Json),
    }))
  }

  /**
   * Applies a fenced update while `update.owner` holds the lease, appending `update.journal`
   * with the run's next `seq` — one statement. Returns false when the lease was lost. Runs in
   * `tx` when given (a `transactional` step's writes then commit with its journal entry); when
   * the fence refuses it there, that transaction is rolled back at its end instead of committed
   * (see {@link transaction}), so its other writes never land without their journal entry.
   */
  async updateRun(update: RunUpdate, tx?: PostgresTransaction): Promise<boolean> {
    const [held] = await this.updateRuns([update], tx)
    return held!
  }

  /**
   * {@link updateRun} for many runs in one statement (a worker's group commit): each update is
   * fenced on its own run, so a run whose lease was lost is refused alone and the others commit.
   * Returns, in order, whether each held. At most one update per run.
   */
  async updateRuns(updates: readonly RunUpdate[], tx?: PostgresTransaction): Promise<boolean[]> {
    assertOneUpdatePerRun(updates)
    const allowed = updates.filter((update) => this.#fenced.mayWrite(update.owner, update.runId))
    const held = await updateRuns(tx ?? this.db, this.#tables, allowed)
    const heldIds = new Set(allowed.filter((_, i) => held[i]).map((update) => update.runId))
    if (tx !== undefined) for (const update of allowed) this.#fenced.wrote(tx, update.owner, update.runId, heldIds.has(update.runId))
    return updates.map((update) => heldIds.has(update.runId))
  }

  /**
   * Changes a run under its row lock without holding its lease (signal, cancel, retry):
   * `decide` sees the locked run and may throw to refuse; `inTransaction` runs before commit.
   * Returns the run as it was, or undefined when there is no such run.
   */
  changeRun(runId: string, now: Date, decide: (run: RunRecord) => RunChange, inTransaction?: (tx: PostgresTransaction) => Promise<void>): Promise<RunRecord | undefined> {
    return changeRun(this.db, this.#tables, runId, now, decide, inTransaction)
  }

  /** The oldest unconsumed signal `name` of the run. */
  async takeSignal(runId: string, name: string, tx?: PostgresTransaction): Promise<{ id: string; payload: Json } | undefined> {
    const { rows } = await sql<{ id: string; payload: string }>`
      SELECT id::text AS id, payload::text AS payload FROM ${this.#tables.signals}
      WHERE run_id = ${runId} AND name = ${name} AND consumed_at IS NULL
      ORDER BY id LIMIT 1
    `.execute(tx ?? this.db)
    return rows[0] ? { id: rows[0].id, payload: JSON.parse(rows[0].payload) as Json } : undefined
  }

  /** Marks a signal consumed; false when it already was. */
  async consumeSignal(signalId: string, now: Date, tx?: PostgresTransaction): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      UPDATE ${this.#tables.signals} SET consumed_at = ${now}
      WHERE id = cast(${signalId} AS bigint) AND consumed_at IS NULL RETURNING id::text AS id
    `.execute(tx ?? this.db)
    return rows.length > 0
  }

  /** The signals of the run not consumed yet, in the order they were kept (the pending-signals index covers it). */
  async pendingSignals(runId: string): Promise<PendingSignal[]> {
    const { rows } = await sql<{ id: string; name: string; payload: string; created_at: Date | string }>`
      SELECT id::text AS id, name, payload::text AS payload, created_at FROM ${this.#tables.signals}
      WHERE run_id = ${runId} AND consumed_at IS NULL
      ORDER BY id
    `.execute(this.db)
    return rows.map((row) => ({ id: row.id, name: row.name, payload: JSON.parse(row.payload) as Json, sentAt: toDate(row.created_at) }))
  }

  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws — and
   * also rolled back, though `fn`'s result is returned, when a fenced `updateRun` in it was
   * refused. That is what makes a `transactional` step exactly-once: a worker that lost its
   * lease (paused past it, cut off from the database) cannot commit the step's writes, nor a
   * signal it consumed, without the journal entry the worker that took over will write. When
   * the connection breaks before the commit, the worker's later fenced writes to the run are
   * refused until it claims the run again (see `FencedTransactions`).
   */
  transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    return this.#fenced.run(this.db, fn)
  }

  /** Extends the leases `owner` still holds among `runIds`; returns those ids. */
  async renewLeases(owner: string, runIds: readonly string[], until: Date): Promise<string[]> {
    if (runIds.length === 0) return []
    const { rows } = await sql<{ id: string }>`
      UPDATE ${this.#tables.runs} SET lease_expires_at = ${until}
      WHERE lease_owner = ${owner} AND id = ANY(cast(${[...runIds]} AS text[]))
      RETURNING id
    `.execute(this.db)
    return rows.map((row) => row.id)
  }

  /** Gives back the leases `owner` holds among `runIds`, leaving the runs as they are. */
  async releaseLeases(owner: string, runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return
    await sql`
      UPDATE ${this.#tables.runs} SET lease_owner = NULL, lease_expires_at = NULL
      WHERE lease_owner = ${owner} AND id = ANY(cast(${[...runIds]} AS text[]))
    `.execute(this.db)
  }

  /**
   * Ids of active, due runs of `definitions` that no live worker leases, highest priority first,
   * then most overdue: no lease, an expired one, or one whose holder died (see `holdLiveness`).
   * Runs held back by their concurrency key wait `FLOW_RECHECK_MS` before they show again. With
   * `heldBackOn`, only the runs held back on that key, as many as it has free slots.
   */
  async findDueRuns(query: {
    now: Date
    definitions: readonly DefinitionKey[]
    limit: number
    heldBackOn?: { readonly workflowName: string; readonly concurrencyKey: string }
  }): Promise<string[]> {
    assertLimit(query.limit)
    const on = query.heldBackOn
    const free = sql`(lease_owner IS NULL OR lease_expires_at <= ${query.now} OR ${leaseHolderDead(sql`lease_owner`)})`
    if (on !== undefined) {
      // Slots free now: the key's limit (as its runs recorded it) less the runs live workers hold.
      const { rows } = await sql<{ id: string }>`
        WITH slots AS (
          SELECT greatest(coalesce(max(concurrency_limit), 0) - count(*) FILTER (WHERE lease_owner IS NOT NULL AND NOT ${free}), 0) AS n
          FROM ${this.#tables.runs}
          WHERE workflow_name = ${on.workflowName} AND concurrency_key = ${on.concurrencyKey}
            AND concurrency_key IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled')
        )
        SELECT id FROM ${this.#tables.runs} AS r
        WHERE workflow_name = ${on.workflowName} AND concurrency_key = ${on.concurrencyKey}
          AND concurrency_key IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled')
          AND held_back_at IS NOT NULL AND due_at <= ${query.now} AND ${free}
          AND ${definitionMatch('r', query.definitions)}
        ORDER BY priority DESC, due_at, id
        LIMIT least(${query.limit}, (SELECT n FROM slots))
      `.execute(this.db)
      return rows.map((row) => row.id)
    }
    // The WHERE repeats the predicate of the partial index runs_priority_due_idx so the planner uses it.
    const { rows } = await sql<{ id: string }>`
      SELECT id FROM ${this.#tables.runs} AS r
      WHERE status NOT IN ('completed', 'failed', 'cancelled') AND due_at IS NOT NULL
        AND due_at <= ${query.now}
        AND (held_back_at IS NULL OR held_back_at <= ${new Date(query.now.getTime() - FLOW_RECHECK_MS)})
        AND ${free}
        AND ${definitionMatch('r', query.definitions)}
      ORDER BY priority DESC, due_at, id
      LIMIT ${query.limit}
    `.execute(this.db)
    return rows.map((row) => row.id)
  }

  /** The text of a shape that `createRun` recorded, by its hash. */
  async loadShape(hash: string): Promise<string | undefined> {
    const { rows } = await sql<{ shape: string }>`SELECT shape FROM ${this.#tables.shapes} WHERE hash = ${hash}`.execute(this.db)
    return rows[0]?.shape
  }

  /** Runs by status and the backlog of due, unheld runs. */
  stats(now: Date): Promise<RunStats> {
    return runStats(this.db, this.#tables, now)
  }

  /** The run, or undefined. */
  async getRun(runId: string, tx?: PostgresTransaction): Promise<RunRecord | undefined> {
    const { rows } = await sql<RunRow>`SELECT ${runColumns('runs')} FROM ${this.#tables.runs} AS runs WHERE id = ${runId}`.execute(tx ?? this.db)
    return rows[0] ? toRunRecord(rows[0]) : undefined
  }

  /**
   * Runs newest first (ids are ULIDs, so id order is creation order). `cursor` is the last id of
   * the previous page; `nextCursor` is set only when more runs follow.
   */
  async listRuns(query: ListRunsQuery): Promise<{ runs: RunRecord[]; nextCursor?: string }> {
    assertLimit(query.limit)
    const filters = [sql`true`]
    if (query.workflowName !== undefined) filters.push(sql`workflow_name = ${query.workflowName}`)
    if (query.status !== undefined) filters.push(sql`status = ${query.status}`)
    // With a workflow, the (workflow_name, idempotency_key) index answers; without, a scan (the dashboard's search).
    if (query.idempotencyKey !== undefined) filters.push(sql`idempotency_key = ${query.idempotencyKey}`)
    if (query.createdBefore !== undefined) filters.push(sql`created_at < ${query.createdBefore}`)
    if (query.cursor !== undefined) filters.push(sql`id < ${query.cursor}`)
    const { rows } = await sql<RunRow>`
      SELECT ${runColumns('runs')} FROM ${this.#tables.runs} AS runs
      WHERE ${sql.join(filters, sql` AND `)}
      ORDER BY id DESC
      LIMIT ${query.limit + 1}
    `.execute(this.db)
    const runs = rows.slice(0, query.limit).map(toRunRecord)
    const last = runs.at(-1)
    return rows.length > query.limit && last ? { runs, nextCursor: last.id } : { runs }
  }

  /** Every journal entry of the run, in `seq` order. */
  async journal(runId: string): Promise<JournalEntry[]> {
    const { rows } = await sql<JournalRow>`
      SELECT ${JOURNAL_COLUMNS} FROM ${this.#tables.journal} WHERE run_id = ${runId} ORDER BY seq
    `.execute(this.db)
    return rows.map(toJournalEntry)
  }

  /**
   * Deletes up to `query.limit` runs that ended before `query.endedBefore` (of
   * `query.workflowName` if given), with their journals and signals, in one statement; returns
   * how many. Never an active run. With `dryRun`, deletes nothing and counts every match.
   */
  async pruneRuns(query: PruneRunsQuery): Promise<number> {
    if (query.dryRun !== true) assertLimit(query.limit)
    return pruneRuns(this.db, this.#tables, query)
  }

  /** Stores the schedules' definitions; a new one is due from `now` on (see `ScheduleStore`). */
  saveSchedules(schedules: readonly ScheduleDefinitionRecord[], now: Date): Promise<void> {
    return saveSchedules(this.db, this.#tables, schedules, now)
  }

  /** Every stored schedule, by name. */
  listSchedules(): Promise<ScheduleRecord[]> {
    return listSchedules(this.db, this.#tables)
  }

  /** Moves a schedule's last slot on if it is still `advance.from` (in `tx` when given). */
  advanceSchedule(advance: ScheduleAdvance, tx?: PostgresTransaction): Promise<boolean> {
    return advanceSchedule(tx ?? this.db, this.#tables, advance)
  }

  /**
   * Calls `onNotify` with the payload of every `NOTIFY` on `channel` (e.g. `pg_notify(channel,
   * payload)` committed by any session); resolves once the server listens, with the function
   * that stops it. On `pg`, all channels share one dedicated connection, re-established after a
   * failure (notifications sent meanwhile are lost: poll as well). Not available on a store
   * built from `{ db }`. `onNotify` should not throw (a throw is reported as a process warning).
   * On PGlite, do not call it inside `transaction(fn)`: it would wait for that transaction.
   */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    if (!this.#newListener) {
      throw new DurableError(
        'INVALID_INPUT',
        'this store cannot listen: it was created from { db }, and Kysely has no LISTEN; create it from { connectionString }, { pool } or { pglite }',
      )
    }
    if (this.#closed) throw new DurableError('INVALID_INPUT', 'cannot listen: the store is closed')
    this.#listener ??= this.#newListener()
    return this.#listener.listen(channel, onNotify)
  }

  /** Stops listening, and ends the pool if the store created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#liveness?.close()
    await this.#listener?.close()
    await this.#destroy?.()
  }
}

/**
 * A pooled connection that breaks while checked out (a database restart, `pg_terminate_backend`)
 * emits 'error' on its client when no query is running on it — between the statements of a
 * transaction, say. `pg` listens only on idle clients, so unhandled that event would crash the
 * process. Listening on every client keeps it alive: the broken client then fails its next query
 * (`STORE_UNAVAILABLE`) and the pool discards it when it is released.
 */
function surviveBrokenConnections(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new DurableError('INVALID_INPUT', `limit must be a positive integer (got ${String(limit)})`)
}

/**
 * Creates the PostgreSQL run store. Call `migrate()` once before use.
 *
 * ### Example
 * ```ts
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * await store.migrate()
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options)
}
