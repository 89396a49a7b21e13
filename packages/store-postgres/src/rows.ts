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
import { sql, type RawBuilder } from 'kysely'

/**
 * The store's tables, schema-qualified and quoted (`"durable"."runs"`), ready to embed in `sql`.
 *
 * @internal
 */
export interface Tables {
  readonly runs: RawBuilder<unknown>
  readonly journal: RawBuilder<unknown>
  readonly signals: RawBuilder<unknown>
  readonly shapes: RawBuilder<unknown>
  readonly schedules: RawBuilder<unknown>
}

/** @internal */
export function tablesIn(schema: string): Tables {
  return {
    runs: sql.id(schema, 'runs'),
    journal: sql.id(schema, 'journal'),
    signals: sql.id(schema, 'signals'),
    shapes: sql.id(schema, 'shapes'),
    schedules: sql.id(schema, 'schedules'),
  }
}

/**
 * A `runs` row as the store selects it. JSON columns are selected as text (`input::text`) and
 * parsed here: every dialect then returns the same thing, whatever type parsers its driver has,
 * and SQL NULL stays distinct from a JSON `null`.
 *
 * @internal
 */
export interface RunRow {
  readonly id: string
  readonly workflow_name: string
  readonly workflow_version: string | null
  readonly shape_hash: string | null
  readonly status: string
  readonly input: string
  readonly state: string
  readonly error: string | null
  readonly parent_run_id: string | null
  readonly idempotency_key: string | null
  readonly due_at: Date | string | null
  readonly lease_owner: string | null
  readonly lease_expires_at: Date | string | null
  readonly created_at: Date | string
  readonly updated_at: Date | string
  readonly cancel_request: string | null
  readonly priority: number | string
  readonly concurrency_key: string | null
  readonly concurrency_limit: number | string | null
  readonly rate_key: string | null
  readonly rate_limit: number | string | null
  readonly rate_period_ms: number | string | null
  readonly deadline_at: Date | string | null
}

const RUN_COLUMNS = [
  'id',
  'workflow_name',
  'workflow_version',
  'shape_hash',
  'status',
  'input::text AS input',
  'state::text AS state',
  'error::text AS error',
  'parent_run_id',
  'idempotency_key',
  'due_at',
  'lease_owner',
  'lease_expires_at',
  'created_at',
  'updated_at',
  'cancel_request::text AS cancel_request',
  'priority',
  'concurrency_key',
  'concurrency_limit',
  'rate_key',
  'rate_limit',
  'rate_period_ms',
  'deadline_at',
]

/**
 * The select list of a {@link RunRow}, each column qualified by `alias` (a fixed name of ours,
 * never user input).
 *
 * @internal
 */
export function runColumns(alias: string): RawBuilder<unknown> {
  return sql.raw(RUN_COLUMNS.map((column) => `${alias}.${column}`).join(', '))
}

/** @internal */
export function toRunRecord(row: RunRow): RunRecord {
  const status = row.status as RunStatus
  const error = row.error === null ? null : (JSON.parse(row.error) as RunError | null)
  return {
    id: row.id,
    workflowName: row.workflow_name,
    workflowVersion: row.workflow_version,
    shapeHash: row.shape_hash,
    status,
    input: JSON.parse(row.input) as Json,
    state: stateFromStore(JSON.parse(row.state) as StoredState, status, error),
    error,
    parentRunId: row.parent_run_id,
    idempotencyKey: row.idempotency_key,
    dueAt: toDateOrNull(row.due_at),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toDateOrNull(row.lease_expires_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    cancelRequest: row.cancel_request === null ? null : (JSON.parse(row.cancel_request) as { reason: string | null }),
    flow: toRunFlow(row),
    deadlineAt: toDateOrNull(row.deadline_at),
  }
}

/** The flow columns of a run row (bigint arrives as text from `pg`). */
function toRunFlow(row: RunRow): RunFlow {
  return {
    priority: Number(row.priority),
    concurrency: row.concurrency_key === null ? null : { key: row.concurrency_key, limit: Number(row.concurrency_limit) },
    rate: row.rate_key === null ? null : { key: row.rate_key, limit: Number(row.rate_limit), periodMs: Number(row.rate_period_ms) },
  }
}

/**
 * A `journal` row as the store selects it (JSON as text, see {@link RunRow}).
 *
 * @internal
 */
export interface JournalRow {
  readonly seq: number | string
  readonly step_key: string
  readonly step_name: string
  readonly kind: string
  readonly attempt: number | string
  readonly result: string | null
  readonly error: string | null
  readonly created_at: Date | string
}

/** @internal */
export const JOURNAL_COLUMNS = sql.raw('seq, step_key, step_name, kind, attempt, result::text AS result, error::text AS error, created_at')

/** Maps a journal row; `result` and `error` are left out when SQL NULL. @internal */
export function toJournalEntry(row: JournalRow): JournalEntry {
  return {
    seq: Number(row.seq),
    stepKey: row.step_key,
    stepName: row.step_name,
    kind: row.kind as JournalKind,
    attempt: Number(row.attempt),
    ...(row.result !== null ? { result: JSON.parse(row.result) as Json } : {}),
    ...(row.error !== null ? { error: JSON.parse(row.error) as StepError } : {}),
    createdAt: toDate(row.created_at),
  }
}

// pg and PGlite both return timestamptz as Date; a `{ db }` dialect with its own type parsers
// may return the ISO-like text instead.
/** @internal */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value)
}

/** @internal */
export function toDateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value)
}
