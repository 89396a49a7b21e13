import {
  stateFromStore,
  type JournalEntry,
  type JournalKind,
  type Json,
  type RunError,
  type RunFlow,
  type RunRecord,
  type RunStatus,
  type StepError,
  type StoredState,
} from '@durable/core'

/*
 * The memory store's rows. JSON is kept as text, as PostgreSQL keeps jsonb: every read parses a
 * fresh copy, so a caller that changes what it got (or what it gave) changes nothing stored.
 * Times are epoch milliseconds. Rows are never changed in place: a write replaces the row.
 */

/** @internal */
export interface RunRow {
  readonly id: string
  readonly workflowName: string
  readonly workflowVersion: string | null
  readonly shapeHash: string | null
  readonly status: RunStatus
  readonly inputJson: string
  readonly stateJson: string
  readonly errorJson: string | null
  readonly parentRunId: string | null
  readonly idempotencyKey: string | null
  readonly dueAt: number | null
  readonly leaseOwner: string | null
  readonly leaseExpiresAt: number | null
  /** The seq of the run's last journal entry (0 when none). */
  readonly lastSeq: number
  readonly createdAt: number
  readonly updatedAt: number
  readonly cancelRequestJson: string | null
  /** Priority and flow keys, as `start` computed them. */
  readonly flow: RunFlow
  /** A rate-limited run's first claim, or the slot it reserved while it waits. */
  readonly begunAt: number | null
  /** When a claim last found its concurrency key full; null once claimed. */
  readonly heldBackAt: number | null
  /** `start(…, { debounce })`: starts of this key merge into the run while it is pending and not due. */
  readonly debounceKey: string | null
  /** `start(…, { timeout })`: when the run times out; null: never. */
  readonly deadlineAt: number | null
}

/** @internal */
export interface JournalRow {
  readonly seq: number
  readonly stepKey: string
  readonly stepName: string
  readonly kind: JournalKind
  readonly attempt: number
  readonly resultJson: string | null
  readonly errorJson: string | null
  readonly createdAt: number
}

/** @internal */
export interface SignalRow {
  readonly id: number
  readonly runId: string
  readonly name: string
  readonly payloadJson: string
  readonly createdAt: number
  readonly consumedAt: number | null
}

/** A schedule's row (see `ScheduleStore`). @internal */
export interface ScheduleRow {
  readonly name: string
  readonly workflowName: string
  readonly cron: string
  readonly timezone: string
  readonly catchUp: 'latest' | 'all' | 'none'
  readonly lastSlotAt: number
  readonly lastRunId: string | null
}

/**
 * One layer of rows over another: the committed tables are the bottom layer, a transaction
 * writes into a layer over them, and each statement into a layer over its transaction's. A
 * layer reads its own rows first, then its parent's; `commit` hands its rows down at once, so a
 * statement or a transaction applies whole or not at all (dropping the layer is the rollback).
 *
 * @internal
 */
export class Layer {
  readonly #runs = new Map<string, RunRow>()
  readonly #journals = new Map<string, readonly JournalRow[]>()
  readonly #signals = new Map<number, SignalRow>()
  readonly #signalsOfRun = new Map<string, readonly number[]>()
  readonly #shapes = new Map<string, string>()
  readonly #schedules = new Map<string, ScheduleRow>()
  /** Idempotency keys (`workflow name` + `\n` + `key`) → run id. */
  readonly #keys = new Map<string, string>()
  readonly #parent: Layer | undefined

  constructor(parent?: Layer) {
    this.#parent = parent
  }

  run(id: string): RunRow | undefined {
    return this.#runs.get(id) ?? this.#parent?.run(id)
  }
  setRun(row: RunRow): void {
    this.#runs.set(row.id, row)
  }
  journal(runId: string): readonly JournalRow[] {
    return this.#journals.get(runId) ?? this.#parent?.journal(runId) ?? []
  }
  setJournal(runId: string, rows: readonly JournalRow[]): void {
    this.#journals.set(runId, rows)
  }
  signal(id: number): SignalRow | undefined {
    return this.#signals.get(id) ?? this.#parent?.signal(id)
  }
  signalsOf(runId: string): readonly number[] {
    return this.#signalsOfRun.get(runId) ?? this.#parent?.signalsOf(runId) ?? []
  }
  setSignal(row: SignalRow): void {
    if (this.signal(row.id) === undefined) this.#signalsOfRun.set(row.runId, [...this.signalsOf(row.runId), row.id])
    this.#signals.set(row.id, row)
  }
  shape(hash: string): string | undefined {
    return this.#shapes.get(hash) ?? this.#parent?.shape(hash)
  }
  setShape(hash: string, shape: string): void {
    this.#shapes.set(hash, shape)
  }
  schedule(name: string): ScheduleRow | undefined {
    return this.#schedules.get(name) ?? this.#parent?.schedule(name)
  }
  setSchedule(row: ScheduleRow): void {
    this.#schedules.set(row.name, row)
  }
  /** Every schedule of this layer and those below, by name. */
  allSchedules(): ScheduleRow[] {
    const below = this.#parent?.allSchedules().filter((row) => !this.#schedules.has(row.name)) ?? []
    return [...below, ...this.#schedules.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
  runWithKey(key: string): string | undefined {
    return this.#keys.get(key) ?? this.#parent?.runWithKey(key)
  }
  setKey(key: string, runId: string): void {
    this.#keys.set(key, runId)
  }

  /** Every run row of this layer and those below (for the bottom layer: all committed runs). */
  allRuns(): RunRow[] {
    const below = this.#parent?.allRuns().filter((row) => !this.#runs.has(row.id)) ?? []
    return [...below, ...this.#runs.values()]
  }

  /**
   * Deletes a run with its journal, signals and idempotency key. Only on the bottom layer (the
   * committed rows): a delete is a statement of its own, never part of a transaction here.
   */
  deleteRun(id: string): void {
    if (this.#parent !== undefined) throw new Error('deleteRun is for the committed rows only')
    const row = this.#runs.get(id)
    if (row === undefined) return
    this.#runs.delete(id)
    this.#journals.delete(id)
    for (const signal of this.#signalsOfRun.get(id) ?? []) this.#signals.delete(signal)
    this.#signalsOfRun.delete(id)
    if (row.idempotencyKey !== null) this.#keys.delete(idempotencyKeyOf(row.workflowName, row.idempotencyKey))
  }

  /** Hands this layer's rows down to its parent. */
  commit(): void {
    const parent = this.#parent
    if (parent === undefined) throw new Error('the bottom layer has nothing to commit to')
    for (const row of this.#runs.values()) parent.setRun(row)
    for (const [runId, rows] of this.#journals) parent.setJournal(runId, rows)
    for (const row of this.#signals.values()) parent.setSignal(row)
    for (const [hash, shape] of this.#shapes) parent.setShape(hash, shape)
    for (const row of this.#schedules.values()) parent.setSchedule(row)
    for (const [key, runId] of this.#keys) parent.setKey(key, runId)
  }
}

/** The key of an idempotency key in {@link Layer}. @internal */
export function idempotencyKeyOf(workflowName: string, key: string): string {
  return `${workflowName}\n${key}`
}

/** A run row as the store returns it. @internal */
export function toRunRecord(row: RunRow): RunRecord {
  const error = row.errorJson === null ? null : (JSON.parse(row.errorJson) as RunError | null)
  return {
    id: row.id,
    workflowName: row.workflowName,
    workflowVersion: row.workflowVersion,
    shapeHash: row.shapeHash,
    status: row.status,
    input: JSON.parse(row.inputJson) as Json,
    state: stateFromStore(JSON.parse(row.stateJson) as StoredState, row.status, error),
    error,
    parentRunId: row.parentRunId,
    idempotencyKey: row.idempotencyKey,
    dueAt: toDate(row.dueAt),
    leaseOwner: row.leaseOwner,
    leaseExpiresAt: toDate(row.leaseExpiresAt),
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    cancelRequest: row.cancelRequestJson === null ? null : (JSON.parse(row.cancelRequestJson) as { reason: string | null }),
    flow: row.flow,
    deadlineAt: toDate(row.deadlineAt),
  }
}

/** A journal row as the store returns it; `result` and `error` are left out when absent. @internal */
export function toJournalEntry(row: JournalRow): JournalEntry {
  return {
    seq: row.seq,
    stepKey: row.stepKey,
    stepName: row.stepName,
    kind: row.kind,
    attempt: row.attempt,
    ...(row.resultJson !== null ? { result: JSON.parse(row.resultJson) as Json } : {}),
    ...(row.errorJson !== null ? { error: JSON.parse(row.errorJson) as StepError } : {}),
    createdAt: new Date(row.createdAt),
  }
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms)
}
