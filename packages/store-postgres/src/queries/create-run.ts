import { DurableError, storedState, type NewRun } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import { jsonb } from '../jsonb.js'
import type { Tables } from '../rows.js'
import { journalValues } from './journal-values.js'

/**
 * Inserts a run, or finds the run that already holds its idempotency key; `created` says which.
 * With `lease`, the run is inserted leased to the process that starts it (a local start: the
 * lease's expiry and the reconciler stand in for the job it does not get).
 *
 * `ON CONFLICT … DO NOTHING` on the partial unique index `(workflow_name, idempotency_key)`: if
 * another transaction is inserting the same key, Postgres waits for it to end, then either does
 * nothing (it committed: the SELECT, a new statement with a new snapshot, finds its row) or
 * inserts (it rolled back).
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function insertRun(db: Kysely<any>, tables: Tables, run: NewRun): Promise<{ runId: string; created: boolean }> {
  if (run.debounce !== undefined) return upsertDebounced(db, tables, run, run.debounce)
  // Two tries: the second only if the run holding the key was deleted between the statements.
  for (let attempt = 0; attempt < 2; attempt++) {
    const entries = run.journal ?? []
    // A fork starts with copies of the original's entries, seq 1…n, in the insert's statement.
    const journal =
      entries.length === 0
        ? sql``
        : sql`, copied AS (
            INSERT INTO ${tables.journal} (run_id, seq, step_key, step_name, kind, attempt, result, error, created_at)
            SELECT r.id, e.n, e.step_key, e.step_name, e.kind, e.attempt, e.result, e.error, coalesce(e.created_at, cast(${run.now} AS timestamptz))
            FROM r CROSS JOIN (VALUES ${journalValues(entries)}) AS e (n, step_key, step_name, kind, attempt, result, error, created_at))`
    const inserted = await sql`
      WITH ${shapeInsert(tables, run)} r AS (
        ${insertRow(tables, run)}
        ON CONFLICT (workflow_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id
      ) ${journal}
      SELECT id FROM r
    `.execute(db)
    if (inserted.rows.length > 0) return { runId: run.id, created: true }

    const { rows } = await sql<{ id: string }>`
      SELECT id FROM ${tables.runs}
      WHERE workflow_name = ${run.workflowName} AND idempotency_key = ${run.idempotencyKey}
    `.execute(db)
    if (rows[0]) return { runId: rows[0].id, created: false }
  }
  throw new DurableError('STORE_UNAVAILABLE', `could not start a run of "${run.workflowName}": the run holding its idempotency key keeps being deleted`)
}

/**
 * A debounced start: one statement inserts the run, or — when a run of the same workflow and
 * debounce key has not begun (`status = 'pending'`, held by the partial unique index
 * `runs_debounce_idx`) and is not due yet — gives that run this start's input, flow keys and due
 * time, and returns its id. The upsert is atomic against a claim: a run a worker claims first
 * leaves the index (it is `running`), and this start then inserts a new run.
 *
 * A pending run of the key that is due already (a worker is late to it) takes no more starts:
 * its key is cleared and the start inserts a new run (starts further apart than `delay` are
 * separate runs).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function upsertDebounced(db: Kysely<any>, tables: Tables, run: NewRun, debounce: { key: string; until: Date }): Promise<{ runId: string; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { rows } = await sql<{ id: string }>`
      WITH ${shapeInsert(tables, run)} r AS (
        ${insertRow(tables, run)}
        ON CONFLICT (workflow_name, debounce_key) WHERE debounce_key IS NOT NULL AND status = 'pending'
        DO UPDATE SET input = excluded.input, state = excluded.state, due_at = excluded.due_at, updated_at = excluded.updated_at,
          priority = excluded.priority, concurrency_key = excluded.concurrency_key, concurrency_limit = excluded.concurrency_limit,
          rate_key = excluded.rate_key, rate_limit = excluded.rate_limit, rate_period_ms = excluded.rate_period_ms,
          deadline_at = excluded.deadline_at
        WHERE ${tables.runs}.due_at > ${run.now}
        RETURNING id
      )
      SELECT id FROM r
    `.execute(db)
    if (rows[0]) return { runId: rows[0].id, created: rows[0].id === run.id }
    await sql`
      UPDATE ${tables.runs} SET debounce_key = NULL
      WHERE workflow_name = ${run.workflowName} AND debounce_key = ${debounce.key} AND status = 'pending' AND due_at <= ${run.now}
    `.execute(db)
  }
  throw new DurableError('STORE_UNAVAILABLE', `could not start a debounced run of "${run.workflowName}" (key "${debounce.key}"): it kept changing; try again`)
}

/** A definition's first start keeps its shape's text, once (the primary key makes it so). */
function shapeInsert(tables: Tables, run: NewRun) {
  return run.shape === undefined || run.shapeHash === null
    ? sql``
    : sql`shape AS (INSERT INTO ${tables.shapes} (hash, shape, created_at) VALUES (${run.shapeHash}, ${run.shape}, ${run.now}) ON CONFLICT (hash) DO NOTHING),`
}

/** The INSERT of the run's row, without its ON CONFLICT clause. */
function insertRow(tables: Tables, run: NewRun) {
  const { state, flow } = run
  const entries = run.journal ?? []
  return sql`INSERT INTO ${tables.runs}
    (id, workflow_name, workflow_version, shape_hash, status, input, state, error, parent_run_id, idempotency_key, due_at, lease_owner, lease_expires_at, next_seq, created_at, updated_at,
     priority, concurrency_key, concurrency_limit, rate_key, rate_limit, rate_period_ms, begun_at, debounce_key, deadline_at)
    VALUES (
      ${run.id}, ${run.workflowName}, ${run.workflowVersion}, ${run.shapeHash}, ${run.lease ? 'running' : state.status}, ${jsonb(run.inputJson)}, ${jsonb(JSON.stringify(storedState(state)))},
      ${jsonb(state.error === null ? null : JSON.stringify(state.error))}, ${run.parentRunId}, ${run.idempotencyKey},
      ${run.debounce?.until ?? run.now}, ${run.lease?.owner ?? null}, ${run.lease?.until ?? null}, cast(${entries.length} AS integer), ${run.now}, ${run.now},
      cast(${flow?.priority ?? 0} AS integer), ${flow?.concurrency?.key ?? null}, cast(${flow?.concurrency?.limit ?? null} AS integer),
      ${flow?.rate?.key ?? null}, cast(${flow?.rate?.limit ?? null} AS integer), cast(${flow?.rate?.periodMs ?? null} AS bigint),
      ${run.lease !== undefined && flow?.rate != null ? run.now : null}, ${run.debounce?.key ?? null}, ${run.deadlineAt ?? null}
    )`
}
