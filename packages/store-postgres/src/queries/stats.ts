import type { RunStats, RunStatus } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import type { Tables } from '../rows.js'
import { leaseHolderDead } from './dead-lease-holder.js'

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']

/**
 * Counts runs by status and measures the backlog, in one statement. The backlog's predicate is
 * the reconciler's (and the partial due index's): active, due by now, held by no live worker.
 * Whether a lease's holder lives is asked once per holder (`holders`), not once per run.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runStats(db: Kysely<any>, tables: Tables, now: Date): Promise<RunStats> {
  const { rows } = await sql<{ status: string | null; n: number; due: number | null; oldest: Date | string | null; leased: number | null }>`
    WITH counts AS (SELECT status, count(*)::int AS n FROM ${tables.runs} GROUP BY status),
    holders AS (
      SELECT lease_owner, NOT ${leaseHolderDead(sql`lease_owner`)} AS alive
      FROM (SELECT DISTINCT lease_owner FROM ${tables.runs} WHERE lease_owner IS NOT NULL AND lease_expires_at > ${now}) AS owners
    ),
    backlog AS (
      SELECT count(*)::int AS due, min(due_at) AS oldest FROM ${tables.runs}
      WHERE status NOT IN ('completed', 'failed', 'cancelled') AND due_at IS NOT NULL AND due_at <= ${now}
        AND (lease_owner IS NULL OR lease_expires_at <= ${now} OR lease_owner NOT IN (SELECT lease_owner FROM holders WHERE alive))
    ),
    held AS (
      SELECT count(*)::int AS leased FROM ${tables.runs}
      WHERE lease_owner IS NOT NULL AND lease_expires_at > ${now} AND lease_owner IN (SELECT lease_owner FROM holders WHERE alive)
    )
    SELECT NULL AS status, 0 AS n, backlog.due, backlog.oldest, held.leased FROM backlog, held
    UNION ALL SELECT status, n, NULL, NULL, NULL FROM counts
  `.execute(db)
  const byStatus = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>
  for (const row of rows) if (row.status !== null) byStatus[row.status as RunStatus] = Number(row.n)
  const summary = rows.find((row) => row.status === null)!
  return {
    byStatus,
    due: Number(summary.due ?? 0),
    oldestDueAt: summary.oldest === null ? null : new Date(summary.oldest),
    leased: Number(summary.leased ?? 0),
  }
}
