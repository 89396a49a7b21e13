import {
  DurableError,
  isTerminal,
  RESULT_KINDS,
  assertOneUpdatePerRun,
  storedState,
  type ClaimResult,
  type DefinitionKey,
  type JournalEntry,
  type Json,
  type ListRunsQuery,
  type NewJournalEntry,
  type NewRun,
  type PendingSignal,
  type PruneRunsQuery,
  type ResultEntry,
  type RunChange,
  type RunRecord,
  type RunStats,
  type RunStore,
  type RunUpdate,
  type ScheduleAdvance,
  type ScheduleDefinitionRecord,
  type ScheduleRecord,
  type StoreTransaction,
} from '@durable/core'
import { appendJournal, jsonText, UniqueViolationError } from './journal-rows.js'
import { idempotencyKeyOf, Layer, toJournalEntry, toRunRecord } from './memory-tables.js'
import { RowLocks } from './row-locks.js'
import { claimedRow, dueForFlow, flowRefusal } from './flow-claims.js'
import { assertLimit, dueRows, leaseHolders, matchesDefinition, nextDueTime, pageOf, pruneOrder, statsOf } from './run-queries.js'

/** One transaction of the memory store: the layer its writes go to, and how it must end. */
class MemoryTransaction {
  readonly layer: Layer
  /** A fenced update in it was refused: it rolls back (see `transaction`). */
  refused = false
  /** A statement in it failed: like PostgreSQL, it refuses further statements and rolls back. */
  failed: unknown = undefined
  ended = false
  constructor(committed: Layer) {
    this.layer = new Layer(committed)
  }
}

/**
 * A `RunStore` in this process's memory, with the semantics of `@durable/store-postgres`:
 * idempotency keys, fenced updates, a gap-free journal `seq` per run with its unique rules,
 * claim refusals with their reasons, signals consumed once, and atomic `changeRun` and
 * `transaction(fn)`. A transaction's writes go to a layer of its own — seen by its own reads,
 * not by others' — and its rows stay locked until it ends, so others' writes to them wait, as
 * under `FOR UPDATE`. Nothing survives the process. Create it with {@link memoryStore}.
 *
 * `ctx.tx` of a `transactional` step is an opaque handle here: there is no SQL to run in it.
 */
export class MemoryStore implements RunStore {
  readonly #committed = new Layer()
  readonly #locks = new RowLocks()
  #signalIds = 0
  #closed = false

  /** Nothing to create: the store is ready when made. Runs `options.alongside` (the queue's migrations). Idempotent. */
  async migrate(options: { alongside?: () => Promise<void> } = {}): Promise<void> {
    this.#assertOpen()
    await options.alongside?.()
  }

  /**
   * Inserts a run due at `run.now`, or returns the run of the same workflow that holds its
   * idempotency key (then `inTransaction` is not called). `inTransaction` runs in the insert's
   * transaction: if it throws, nothing is written and the key is free again.
   */
  async createRun(run: NewRun, inTransaction?: (tx: StoreTransaction) => Promise<void>): Promise<{ runId: string; created: boolean }> {
    if (inTransaction === undefined) return this.#insert(run, undefined)
    return this.transaction(async (tx) => {
      const result = await this.#insert(run, tx)
      if (result.created) await inTransaction(tx)
      return result
    })
  }

  /**
   * Inserts runs in one transaction, in order; a run whose idempotency key is held (by an earlier
   * run of the same call too) gets that run's id. `inTransaction` gets the ids created, before
   * the commit: if it throws, nothing is written.
   */
  async createRuns(
    runs: readonly NewRun[],
    inTransaction?: (tx: StoreTransaction, created: readonly string[]) => Promise<void>,
  ): Promise<Array<{ runId: string; created: boolean }>> {
    return this.transaction(async (tx) => {
      const results: Array<{ runId: string; created: boolean }> = []
      for (const run of runs) results.push(await this.#insert(run, tx))
      await inTransaction?.(
        tx,
        results.filter((result) => result.created).map((result) => result.runId),
      )
      return results
    })
  }

  /** One run's insert, or the run that holds its idempotency key. */
  #insert(run: NewRun, tx: StoreTransaction | undefined): Promise<{ runId: string; created: boolean }> {
    const key = run.idempotencyKey === null ? undefined : idempotencyKeyOf(run.workflowName, run.idempotencyKey)
    const debounce = run.debounce === undefined ? undefined : idempotencyKeyOf(run.workflowName, run.debounce.key)
    const locks = [`run:${run.id}`, ...(key !== undefined ? [`key:${key}`] : []), ...(debounce !== undefined ? [`debounce:${debounce}`] : [])]
    return this.#write(tx, locks, (layer) => {
      const holder = key === undefined ? undefined : layer.runWithKey(key)
      if (holder !== undefined) return { runId: holder, created: false }
      if (layer.run(run.id) !== undefined) throw new UniqueViolationError('runs_pkey', `a run with id "${run.id}" exists already`)
      const now = run.now.getTime()
      const flow = run.flow ?? { priority: 0, concurrency: null, rate: null }
      if (run.debounce !== undefined) {
        // As store-postgres's upsert: the pending run of the key takes this start while it is not due.
        const pending = layer.allRuns().find((row) => row.workflowName === run.workflowName && row.debounceKey === run.debounce!.key && row.status === 'pending')
        if (pending !== undefined && pending.dueAt !== null && pending.dueAt > now) {
          const inputJson = jsonText(run.inputJson, `input of run "${pending.id}"`)
          layer.setRun({
            ...pending,
            inputJson,
            stateJson: JSON.stringify(storedState(run.state)),
            dueAt: run.debounce.until.getTime(),
            updatedAt: now,
            flow,
            deadlineAt: run.deadlineAt?.getTime() ?? null,
          })
          return { runId: pending.id, created: false }
        }
        if (pending !== undefined) layer.setRun({ ...pending, debounceKey: null })
      }
      const entries = run.journal ?? []
      layer.setJournal(run.id, appendJournal(run.id, [], entries, 0, now))
      layer.setRun({
        id: run.id,
        workflowName: run.workflowName,
        workflowVersion: run.workflowVersion,
        shapeHash: run.shapeHash,
        status: run.lease ? 'running' : run.state.status,
        inputJson: jsonText(run.inputJson, `input of run "${run.id}"`),
        stateJson: JSON.stringify(storedState(run.state)),
        errorJson: run.state.error == null ? null : JSON.stringify(run.state.error),
        parentRunId: run.parentRunId,
        idempotencyKey: run.idempotencyKey,
        dueAt: run.debounce?.until.getTime() ?? now,
        leaseOwner: run.lease?.owner ?? null,
        leaseExpiresAt: run.lease?.until.getTime() ?? null,
        lastSeq: entries.length,
        createdAt: now,
        updatedAt: now,
        cancelRequestJson: null,
        flow,
        begunAt: run.lease !== undefined && flow.rate !== null ? now : null,
        heldBackAt: null,
        debounceKey: run.debounce?.key ?? null,
        deadlineAt: run.deadlineAt?.getTime() ?? null,
      })
      if (key !== undefined) layer.setKey(key, run.id)
      // A definition's first start keeps its shape's text, once.
      if (run.shape !== undefined && run.shapeHash !== null && layer.shape(run.shapeHash) === undefined) layer.setShape(run.shapeHash, run.shape)
      return { runId: run.id, created: true }
    })
  }

  /**
   * Takes the lease of a run that exists, is active, was started with one of `definitions`, is
   * due and is not leased by a live worker; otherwise says why, in that order.
   */
  async claimRun(runId: string, claim: { owner: string; now: Date; leaseUntil: Date; definitions: readonly DefinitionKey[] }): Promise<ClaimResult> {
    const now = claim.now.getTime()
    return this.#write(undefined, [`run:${runId}`], (layer): ClaimResult => {
      const row = layer.run(runId)
      if (row === undefined) return { claimed: false, reason: 'missing', dueAt: null }
      const dueAt = row.dueAt === null ? null : new Date(row.dueAt)
      if (isTerminal(row.status)) return { claimed: false, reason: 'ended', dueAt }
      if (!claim.definitions.some((definition) => matchesDefinition(row, definition))) return { claimed: false, reason: 'unregistered', dueAt }
      if (row.leaseOwner !== null && !(row.leaseExpiresAt !== null && row.leaseExpiresAt <= now)) return { claimed: false, reason: 'leased', dueAt }
      if (row.dueAt === null || row.dueAt > now) return { claimed: false, reason: 'notDue', dueAt }
      const { refusal, begin } = flowRefusal(layer, row, now, claim.definitions)
      if (refusal !== undefined) return refusal
      // A claimed run is running; its state catches up at the first commit (as in store-postgres).
      const claimed = claimedRow(row, claim.owner, claim.leaseUntil.getTime(), now, begin)
      layer.setRun(claimed)
      return { claimed: true, run: toRunRecord(claimed), previousLeaseExpired: row.leaseOwner !== null }
    })
  }

  /** The run's entries that carry step results (core's `RESULT_KINDS`), in journal order. */
  async loadResults(runId: string): Promise<ResultEntry[]> {
    this.#assertOpen()
    return this.#committed
      .journal(runId)
      .filter((row) => RESULT_KINDS.includes(row.kind))
      .map((row) => ({ stepKey: row.stepKey, stepName: row.stepName, kind: row.kind, result: row.resultJson === null ? null : (JSON.parse(row.resultJson) as Json) }))
  }

  /**
   * Applies a fenced update while `update.owner` holds the lease, appending its journal entries
   * with the run's next `seq`s; false, with nothing changed, when it does not. In `tx`, a refusal
   * makes that transaction roll back at its end.
   */
  async updateRun(update: RunUpdate, tx?: StoreTransaction): Promise<boolean> {
    const [held] = await this.updateRuns([update], tx)
    return held!
  }

  /** `updateRun` for many runs in one statement: each fenced on its own, all applied or none on a failure. */
  async updateRuns(updates: readonly RunUpdate[], tx?: StoreTransaction): Promise<boolean[]> {
    assertOneUpdatePerRun(updates)
    const locks = updates.flatMap((update) => [`run:${update.runId}`, ...(update.wake !== undefined ? [`run:${update.wake}`] : [])])
    const held = await this.#write(tx, [...new Set(locks)], (layer) => updates.map((update) => applyUpdate(layer, update)))
    if (held.includes(false) && tx !== undefined) this.#transactionOf(tx).refused = true
    return held
  }

  /**
   * Changes a run under its row lock without holding its lease (signal, cancel, retry): `decide`
   * sees the locked run and may throw to refuse; `inTransaction` runs before the commit.
   */
  async changeRun(runId: string, now: Date, decide: (run: RunRecord) => RunChange, inTransaction?: (tx: StoreTransaction) => Promise<void>): Promise<RunRecord | undefined> {
    return this.transaction(async (tx) => {
      const at = now.getTime()
      const found = await this.#write(tx, [`run:${runId}`], (layer) => layer.run(runId))
      if (found === undefined) return undefined
      const run = toRunRecord(found)
      const change = decide(run)
      await this.#write(tx, [`run:${runId}`], (layer) => {
        const row = layer.run(runId)!
        layer.setRun({
          ...row,
          updatedAt: at,
          // The state stays as the worker last committed it: the next claim decides from there.
          // A cancel asked for before the run failed was spent on its rollback.
          ...(change.retryRequest ? { status: 'pending' as const, cancelRequestJson: null } : {}),
          ...(change.dueAt !== undefined ? { dueAt: change.dueAt?.getTime() ?? null } : {}),
          ...(change.revokeLease ? { leaseOwner: null, leaseExpiresAt: null } : {}),
          ...(change.cancelRequest !== undefined ? { cancelRequestJson: JSON.stringify(change.cancelRequest) } : {}),
        })
        if (change.signal !== undefined) {
          assertStorableText(change.signal.name, `signal name ${JSON.stringify(change.signal.name.slice(0, 40))}`)
          const payloadJson = jsonText(change.signal.payloadJson, `payload of signal "${change.signal.name}"`)
          layer.setSignal({ id: ++this.#signalIds, runId, name: change.signal.name, payloadJson, createdAt: at, consumedAt: null })
        }
      })
      await inTransaction?.(tx)
      return run
    })
  }

  /** The oldest unconsumed signal `name` of the run (as `tx` sees it, when given). */
  async takeSignal(runId: string, name: string, tx?: StoreTransaction): Promise<{ id: string; payload: Json } | undefined> {
    const layer = this.#reader(tx)
    for (const id of layer.signalsOf(runId)) {
      const signal = layer.signal(id)!
      if (signal.name === name && signal.consumedAt === null) return { id: String(id), payload: JSON.parse(signal.payloadJson) as Json }
    }
    return undefined
  }

  /** Marks a signal consumed; false when it already was. */
  async consumeSignal(signalId: string, now: Date, tx?: StoreTransaction): Promise<boolean> {
    if (!/^[0-9]{1,18}$/.test(signalId)) throw new DurableError('INVALID_INPUT', `signal id ${JSON.stringify(signalId.slice(0, 40))} is not a signal id`)
    const id = Number(signalId)
    return this.#write(tx, [`signal:${id}`], (layer) => {
      const signal = layer.signal(id)
      if (signal === undefined || signal.consumedAt !== null) return false
      layer.setSignal({ ...signal, consumedAt: now.getTime() })
      return true
    })
  }

  /** The signals of the run not consumed yet, in the order they were kept. */
  async pendingSignals(runId: string): Promise<PendingSignal[]> {
    const layer = this.#reader(undefined)
    return layer
      .signalsOf(runId)
      .map((id) => layer.signal(id)!)
      .filter((signal) => signal.consumedAt === null)
      .map((signal) => ({ id: String(signal.id), name: signal.name, payload: JSON.parse(signal.payloadJson) as Json, sentAt: new Date(signal.createdAt) }))
  }

  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws — and
   * rolled back, though `fn`'s result is returned, when a fenced `updateRun` in it was refused.
   * A statement that failed in it (and was caught) spoils it: the transaction then rolls back
   * and rejects, as PostgreSQL's would.
   */
  async transaction<T>(fn: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    this.#assertOpen()
    const transaction = new MemoryTransaction(this.#committed)
    let result: T
    try {
      result = await fn(transaction as StoreTransaction)
    } catch (error) {
      this.#end(transaction, false)
      throw error
    }
    if (transaction.failed !== undefined) {
      // PostgreSQL's COMMIT of a transaction with a failed statement rolls it back, and Kysely
      // reports that: the caller must not believe its writes landed.
      this.#end(transaction, false)
      throw new Error('memoryStore: transaction was rolled back instead of committed: a statement in it failed', { cause: transaction.failed })
    }
    this.#end(transaction, !transaction.refused)
    return result
  }

  /** Extends the leases `owner` still holds among `runIds`; returns those ids. */
  async renewLeases(owner: string, runIds: readonly string[], until: Date): Promise<string[]> {
    const ids = [...new Set(runIds)]
    return this.#write(
      undefined,
      ids.map((id) => `run:${id}`),
      (layer) =>
        ids.filter((id) => {
          const row = layer.run(id)
          if (row === undefined || row.leaseOwner !== owner) return false
          layer.setRun({ ...row, leaseExpiresAt: until.getTime() })
          return true
        }),
    )
  }

  /** Gives back the leases `owner` holds among `runIds`, leaving the runs as they are. */
  async releaseLeases(owner: string, runIds: readonly string[]): Promise<void> {
    const ids = [...new Set(runIds)]
    await this.#write(
      undefined,
      ids.map((id) => `run:${id}`),
      (layer) => {
        for (const id of ids) {
          const row = layer.run(id)
          if (row !== undefined && row.leaseOwner === owner) layer.setRun({ ...row, leaseOwner: null, leaseExpiresAt: null })
        }
      },
    )
  }

  /**
   * Ids of active, due runs of `definitions` that no live worker leases, highest priority first,
   * then most overdue; runs held back by their concurrency key after `FLOW_RECHECK_MS`, or, with
   * `heldBackOn`, only those of that key, as many as it has free slots.
   */
  async findDueRuns(query: {
    now: Date
    definitions: readonly DefinitionKey[]
    limit: number
    heldBackOn?: { readonly workflowName: string; readonly concurrencyKey: string }
  }): Promise<string[]> {
    this.#assertOpen()
    assertLimit(query.limit)
    const now = query.now.getTime()
    return dueForFlow(this.#committed.allRuns(), now, query.heldBackOn)
      .filter((row) => query.definitions.some((definition) => matchesDefinition(row, definition)))
      .slice(0, query.limit)
      .map((row) => row.id)
  }

  /** The text of a shape that `createRun` recorded, by its hash. */
  async loadShape(hash: string): Promise<string | undefined> {
    this.#assertOpen()
    return this.#committed.shape(hash)
  }

  /** The run (as `tx` sees it, when given), or undefined. */
  async getRun(runId: string, tx?: StoreTransaction): Promise<RunRecord | undefined> {
    const row = this.#reader(tx).run(runId)
    return row === undefined ? undefined : toRunRecord(row)
  }

  /** Runs newest first (by id), filtered; `nextCursor` is set only when more runs follow. */
  async listRuns(query: ListRunsQuery): Promise<{ runs: RunRecord[]; nextCursor?: string }> {
    this.#assertOpen()
    assertLimit(query.limit)
    const page = pageOf(this.#committed.allRuns(), query)
    const runs = page.rows.map(toRunRecord)
    const last = runs.at(-1)
    return page.more && last ? { runs, nextCursor: last.id } : { runs }
  }

  /** Runs by status and the backlog of due, unheld runs. */
  async stats(now: Date): Promise<RunStats> {
    this.#assertOpen()
    return statsOf(this.#committed.allRuns(), now.getTime())
  }

  /**
   * Deletes up to `limit` runs that ended (`completed`, `failed`, `cancelled`) before
   * `endedBefore` (with `status`, only that one), oldest first, with their journals and signals; a run a transaction holds is
   * skipped (as `SKIP LOCKED` does). With `dryRun`, counts every run that matches.
   */
  async pruneRuns(query: PruneRunsQuery): Promise<number> {
    this.#assertOpen()
    const before = query.endedBefore.getTime()
    const matching = this.#committed
      .allRuns()
      .filter(
        (row) =>
          isTerminal(row.status) &&
          row.updatedAt < before &&
          (query.workflowName === undefined || row.workflowName === query.workflowName) &&
          (query.status === undefined || row.status === query.status),
      )
    if (query.dryRun === true) return matching.length
    const pruned = pruneOrder(matching)
      .filter((row) => !this.#locks.isHeld(`run:${row.id}`))
      .slice(0, query.limit)
    for (const row of pruned) this.#committed.deleteRun(row.id)
    return pruned.length
  }

  /** Every journal entry of the run, in `seq` order. */
  async journal(runId: string): Promise<JournalEntry[]> {
    this.#assertOpen()
    return this.#committed.journal(runId).map(toJournalEntry)
  }

  /** Stores the schedules' definitions; a new one is due from `now` on, a known one keeps its last slot and run. */
  async saveSchedules(schedules: readonly ScheduleDefinitionRecord[], now: Date): Promise<void> {
    const names = schedules.map((s) => s.name)
    await this.#write(
      undefined,
      names.map((name) => `schedule:${name}`),
      (layer) => {
        for (const { name, workflowName, cron, timezone, catchUp } of schedules) {
          const known = layer.schedule(name)
          layer.setSchedule({ name, workflowName, cron, timezone, catchUp, lastSlotAt: known?.lastSlotAt ?? now.getTime(), lastRunId: known?.lastRunId ?? null })
        }
      },
    )
  }

  /** Every stored schedule, by name. */
  async listSchedules(): Promise<ScheduleRecord[]> {
    this.#assertOpen()
    return this.#committed.allSchedules().map((row) => ({ ...row, lastSlotAt: new Date(row.lastSlotAt) }))
  }

  /** Moves a schedule's last slot on if it is still `advance.from`, under the schedule's lock (in `tx` when given). */
  async advanceSchedule(advance: ScheduleAdvance, tx?: StoreTransaction): Promise<boolean> {
    return this.#write(tx, [`schedule:${advance.name}`], (layer) => {
      const row = layer.schedule(advance.name)
      if (row === undefined || row.lastSlotAt !== advance.from.getTime()) return false
      layer.setSchedule({ ...row, lastSlotAt: advance.to.getTime(), lastRunId: advance.runId ?? row.lastRunId })
      return true
    })
  }

  /**
   * Ids of the active runs due by `now` that no live worker holds, whatever their definition,
   * oldest due first. Not part of `RunStore`: `testDurable()` wakes these when it moves time.
   */
  dueRuns(now: Date): string[] {
    this.#assertOpen()
    return dueRows(this.#committed.allRuns(), now.getTime()).map((row) => row.id)
  }

  /**
   * The earliest instant after `now` at which an active run is due and free (a crashed worker's
   * run: once its lease expires) — the next instant at which simulated time has something to
   * do — or null when no run is due later. Not part of `RunStore`.
   */
  nextDueAt(now: Date): Date | null {
    this.#assertOpen()
    const next = nextDueTime(this.#committed.allRuns(), now.getTime())
    return next === null ? null : new Date(next)
  }

  /**
   * The workers that hold a lease not expired at `now`. Not part of `RunStore`: `testDurable()`
   * tells a live worker's leases (a step runs) from a crashed one's (they only wait to expire).
   */
  leaseHolders(now: Date): Set<string> {
    this.#assertOpen()
    return leaseHolders(this.#committed.allRuns(), now.getTime())
  }

  /** Closes the store: later calls throw. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
  }

  /**
   * Runs one statement: waits for the rows' locks, then applies `apply` to a layer of its own,
   * handed down whole when it returns — or dropped when it throws, so a statement never applies
   * half-way. Without `tx`, the statement commits at once; in `tx`, a failure spoils `tx`.
   */
  async #write<T>(tx: StoreTransaction | undefined, locks: readonly string[], apply: (layer: Layer) => T): Promise<T> {
    this.#assertOpen()
    const transaction = tx === undefined ? undefined : this.#usable(tx)
    const holder = transaction ?? {}
    await this.#locks.acquire(holder, locks)
    try {
      if (transaction !== undefined) this.#usable(tx) // it may have ended while this waited
      const layer = new Layer(transaction?.layer ?? this.#committed)
      try {
        const result = apply(layer)
        layer.commit()
        return result
      } catch (error) {
        if (transaction !== undefined) transaction.failed ??= error
        throw error
      }
    } finally {
      if (transaction === undefined) this.#locks.releaseAll(holder)
    }
  }

  /** What `tx` (or, without it, anyone) reads: committed rows under the transaction's own writes. */
  #reader(tx: StoreTransaction | undefined): Layer {
    this.#assertOpen()
    return tx === undefined ? this.#committed : this.#usable(tx).layer
  }

  #end(transaction: MemoryTransaction, commit: boolean): void {
    transaction.ended = true
    if (commit) transaction.layer.commit()
    this.#locks.releaseAll(transaction)
  }

  #transactionOf(tx: StoreTransaction): MemoryTransaction {
    if (!(tx instanceof MemoryTransaction)) throw new DurableError('INVALID_INPUT', 'memoryStore: tx is not a transaction of this store')
    return tx
  }

  #usable(tx: StoreTransaction): MemoryTransaction {
    const transaction = this.#transactionOf(tx)
    if (transaction.ended) throw new Error('memoryStore: this transaction has ended; use the store, or a new transaction')
    if (transaction.failed !== undefined)
      throw new Error('memoryStore: current transaction is aborted (a statement in it failed); commands ignored until end of transaction block', { cause: transaction.failed })
    return transaction
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('memoryStore: the store is closed')
  }
}

/** PostgreSQL refuses `\u0000` in text and would store a lone surrogate as U+FFFD: refuse both, as store-postgres does. */
function assertStorableText(value: string, what: string): void {
  if (value.includes('\u0000') || !value.isWellFormed()) {
    throw new DurableError('INVALID_INPUT', `${what} contains \\u0000 or a lone surrogate, which PostgreSQL cannot store as given`)
  }
}

/**
 * Creates an in-memory {@link MemoryStore}: no database, nothing to set up, nothing kept after
 * the process. For tests and scripts; `testDurable()` uses one.
 *
 * ### Example
 * ```ts
 * import { memoryStore } from '@durable/testing'
 * import { memoryQueue } from '@durable/queue-adapter'
 *
 * const durable = createDurable({ store: memoryStore(), queue: memoryQueue(), workflows: [checkout] })
 * ```
 */
export function memoryStore(): MemoryStore {
  return new MemoryStore()
}

/** One fenced update, applied to `layer` when its owner holds the run's lease. */
function applyUpdate(layer: Layer, update: RunUpdate): boolean {
  const row = layer.run(update.runId)
  if (row === undefined || row.leaseOwner !== update.owner) return false
  const now = update.now.getTime()
  const entries: readonly NewJournalEntry[] = update.journal === undefined ? [] : Array.isArray(update.journal) ? update.journal : [update.journal as NewJournalEntry]
  let dueAt = update.dueAt?.getTime() ?? null
  // While the worker keeps the lease, a due time already past is kept (store-postgres does so
  // to update the row in place); the reconciler sees the same due time on either store.
  if (update.leaseUntil !== null && dueAt !== null && dueAt <= now && row.dueAt !== null && row.dueAt <= dueAt) dueAt = row.dueAt
  layer.setJournal(row.id, appendJournal(row.id, layer.journal(row.id), entries, row.lastSeq, now))
  layer.setRun({
    ...row,
    stateJson: JSON.stringify(storedState(update.state)),
    status: update.state.status,
    errorJson: update.state.error == null ? null : JSON.stringify(update.state.error),
    dueAt,
    updatedAt: now,
    leaseOwner: update.leaseUntil === null ? null : row.leaseOwner,
    leaseExpiresAt: update.leaseUntil === null ? null : update.leaseUntil.getTime(),
    lastSeq: row.lastSeq + entries.length,
  })
  // A child that ends makes its waiting parent due in the same statement.
  const parent = update.wake === undefined ? undefined : layer.run(update.wake)
  if (parent !== undefined && parent.status === 'waiting') layer.setRun({ ...parent, dueAt: now })
  return true
}
