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
  // Two tries: the second only if the run holding the key was deleted between the statements.
  for (let attempt = 0; attempt < 2; attempt++) {
    const { state } = run
    const entries = run.journal ?? []
    // A definition's first start keeps its shape's text, once (the primary key makes it so).
    const shape =
      run.shape === undefined || run.shapeHash === null
        ? sql``
        : sql`shape AS (INSERT INTO ${tables.shapes} (hash, shape, created_at) VALUES (${run.shapeHash}, ${run.shape}, ${run.now}) ON CONFLICT (hash) DO NOTHING),`
    // A fork starts with copies of the original's entries, seq 1…n, in the insert's statement.
    const journal =
      entries.length === 0
        ? sql``
        : sql`, copied AS (
            INSERT INTO ${tables.journal} (run_id, seq, step_key, step_name, kind, attempt, result, error, created_at)
            SELECT r.id, e.n, e.step_key, e.step_name, e.kind, e.attempt, e.result, e.error, coalesce(e.created_at, cast(${run.now} AS timestamptz))
            FROM r CROSS JOIN (VALUES ${journalValues(entries)}) AS e (n, step_key, step_name, kind, attempt, result, error, created_at))`
    const inserted = await sql`
      WITH ${shape} r AS (
        INSERT INTO ${tables.runs}
          (id, workflow_name, workflow_version, shape_hash, status, input, state, error, parent_run_id, idempotency_key, due_at, lease_owner, lease_expires_at, next_seq, created_at, updated_at, deadline_at)
        VALUES (
          ${run.id}, ${run.workflowName}, ${run.workflowVersion}, ${run.shapeHash}, ${run.lease ? 'running' : state.status}, ${jsonb(run.inputJson)}, ${jsonb(JSON.stringify(storedState(state)))},
          ${jsonb(state.error === null ? null : JSON.stringify(state.error))}, ${run.parentRunId}, ${run.idempotencyKey},
          ${run.now}, ${run.lease?.owner ?? null}, ${run.lease?.until ?? null}, cast(${entries.length} AS integer), ${run.now}, ${run.now}, ${run.deadlineAt ?? null}
        )
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
  throw new DurableError(
    'STORE_UNAVAILABLE',
    `could not start a run of "${run.workflowName}": the run holding its idempotency key keeps being deleted`,
  )
}

