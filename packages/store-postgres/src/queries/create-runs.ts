import { storedState, type NewRun } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import type { Tables } from '../rows.js'
import { insertRun } from './create-run.js'

/**
 * Inserts many runs in one statement (`startMany`): the batch travels as one JSON parameter,
 * unpacked with `jsonb_to_recordset`. Runs whose idempotency key is taken — by an existing run
 * or by an earlier item of the same batch — are not inserted; one more statement finds the runs
 * holding their keys. Returns `{ runId, created }` in the order of `runs`.
 *
 * Runs with a lease, a journal or a debounce (a local start, a fork, a debounced start) are not
 * batched: `insertRun` takes them.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function insertRuns(db: Kysely<any>, tables: Tables, runs: readonly NewRun[]): Promise<Array<{ runId: string; created: boolean }>> {
  if (runs.length === 0) return []
  if (runs.some((run) => run.lease !== undefined || run.debounce !== undefined || (run.journal?.length ?? 0) > 0)) {
    const results = []
    for (const run of runs) results.push(await insertRun(db, tables, run))
    return results
  }
  const rows = runs.map((run) => ({
    id: run.id,
    workflow_name: run.workflowName,
    workflow_version: run.workflowVersion,
    shape_hash: run.shapeHash,
    status: run.state.status,
    state: storedState(run.state),
    error: run.state.error,
    parent_run_id: run.parentRunId,
    idempotency_key: run.idempotencyKey,
    now: run.now.toISOString(),
    priority: run.flow?.priority ?? 0,
    concurrency_key: run.flow?.concurrency?.key ?? null,
    concurrency_limit: run.flow?.concurrency?.limit ?? null,
    rate_key: run.flow?.rate?.key ?? null,
    rate_limit: run.flow?.rate?.limit ?? null,
    rate_period_ms: run.flow?.rate?.periodMs ?? null,
    deadline_at: run.deadlineAt?.toISOString() ?? null,
  }))
  // The input is JSON text already: it goes into the batch as it is, not parsed and written again,
  // wrapped in an array so that a JSON `null` input stays a JSON null (not SQL NULL).
  const json = `[${rows.map((row, i) => `${JSON.stringify(row).slice(0, -1)},"input":[${runs[i]!.inputJson}]}`).join(',')}]`
  // Each definition's first start keeps its shape's text, once (the primary key makes it so).
  const shapes = new Map(runs.flatMap((run) => (run.shape !== undefined && run.shapeHash !== null ? [[run.shapeHash, run] as const] : [])))
  const shape =
    shapes.size === 0
      ? sql``
      : sql`shape AS (INSERT INTO ${tables.shapes} (hash, shape, created_at) VALUES ${sql.join(
          [...shapes.values()].map((run) => sql`(${run.shapeHash}, ${run.shape}, cast(${run.now} AS timestamptz))`),
        )} ON CONFLICT (hash) DO NOTHING),`
  const { rows: inserted } = await sql<{ id: string }>`
    WITH ${shape} r AS (
      INSERT INTO ${tables.runs}
        (id, workflow_name, workflow_version, shape_hash, status, input, state, error, parent_run_id, idempotency_key, due_at, next_seq, created_at, updated_at,
         priority, concurrency_key, concurrency_limit, rate_key, rate_limit, rate_period_ms, deadline_at)
      SELECT b.id, b.workflow_name, b.workflow_version, b.shape_hash, b.status, b.input -> 0, b.state, b.error, b.parent_run_id, b.idempotency_key,
        b.now, 0, b.now, b.now, b.priority, b.concurrency_key, b.concurrency_limit, b.rate_key, b.rate_limit, b.rate_period_ms, b.deadline_at
      FROM jsonb_to_recordset(cast(${json} AS jsonb)) AS b (
        id text, workflow_name text, workflow_version text, shape_hash text, status text, input jsonb, state jsonb, error jsonb,
        parent_run_id text, idempotency_key text, now timestamptz,
        priority integer, concurrency_key text, concurrency_limit integer, rate_key text, rate_limit integer, rate_period_ms bigint, deadline_at timestamptz)
      ON CONFLICT (workflow_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING id
    )
    SELECT id FROM r
  `.execute(db)
  const created = new Set(inserted.map((row) => row.id))
  const taken = runs.filter((run) => !created.has(run.id))
  const holders = new Map<string, string>()
  if (taken.length > 0) {
    const { rows: found } = await sql<{ id: string; workflow_name: string; idempotency_key: string }>`
      SELECT id, workflow_name, idempotency_key FROM ${tables.runs}
      WHERE (workflow_name, idempotency_key) IN (
        SELECT * FROM unnest(cast(${taken.map((run) => run.workflowName)} AS text[]), cast(${taken.map((run) => run.idempotencyKey)} AS text[])))
    `.execute(db)
    for (const row of found) holders.set(keyOf(row.workflow_name, row.idempotency_key), row.id)
  }
  const results = []
  for (const run of runs) {
    if (created.has(run.id)) results.push({ runId: run.id, created: true })
    else {
      const holder = holders.get(keyOf(run.workflowName, run.idempotencyKey))
      // The holder was deleted between the two statements: this one goes on its own.
      results.push(holder !== undefined ? { runId: holder, created: false } : await insertRun(db, tables, run))
    }
  }
  return results
}

function keyOf(workflowName: string, idempotencyKey: string | null): string {
  return `${workflowName}\n${idempotencyKey}`
}
