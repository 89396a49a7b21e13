import { DurableError, isTerminal, type DefinitionKey, type ListRunsQuery, type RunStats, type RunStatus } from '@durable/core'
import type { RunRow } from './memory-tables.js'

/*
 * The memory store's reads over many runs, as pure functions of the committed rows: the same
 * predicates and orders as store-postgres's SQL.
 */

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']

/**
 * True when the run was started with `definition`: same name, version and shape hash (a run
 * without a shape hash: any shape of its name and version).
 *
 * @internal
 */
export function matchesDefinition(row: RunRow, definition: DefinitionKey): boolean {
  return definition.name === row.workflowName && definition.version === row.workflowVersion && (row.shapeHash === null || definition.shapeHash === row.shapeHash)
}

/** Active, due by `now`, and held by no live worker: the reconciler's and the backlog's predicate. @internal */
export function isDueAndFree(row: RunRow, now: number): boolean {
  return !isTerminal(row.status) && row.dueAt !== null && row.dueAt <= now && (row.leaseOwner === null || (row.leaseExpiresAt !== null && row.leaseExpiresAt <= now))
}

/** The due, free runs among `rows`, most overdue first (due time, then id). @internal */
export function dueRows(rows: readonly RunRow[], now: number): RunRow[] {
  return rows.filter((row) => isDueAndFree(row, now)).sort((a, b) => a.dueAt! - b.dueAt! || compareIds(a.id, b.id))
}

/**
 * The earliest instant after `now` at which an active run is due and free — its due time, or,
 * when a lease outlasts that (a crashed worker's), the lease's end; null when none. @internal
 */
export function nextDueTime(rows: readonly RunRow[], now: number): number | null {
  let next: number | null = null
  for (const row of rows) {
    if (isTerminal(row.status) || row.dueAt === null) continue
    const free = row.leaseOwner === null || row.leaseExpiresAt === null ? row.dueAt : Math.max(row.dueAt, row.leaseExpiresAt)
    if (free > now && (next === null || free < next)) next = free
  }
  return next
}

/** The owners of the leases that have not expired at `now`. @internal */
export function leaseHolders(rows: readonly RunRow[], now: number): Set<string> {
  const owners = new Set<string>()
  for (const row of rows) if (row.leaseOwner !== null && row.leaseExpiresAt !== null && row.leaseExpiresAt > now) owners.add(row.leaseOwner)
  return owners
}

/** One page of `listRuns`: newest first by id, after `cursor`, filtered. @internal */
export function pageOf(rows: readonly RunRow[], query: ListRunsQuery): { rows: RunRow[]; more: boolean } {
  const matching = rows
    .filter(
      (row) =>
        (query.workflowName === undefined || row.workflowName === query.workflowName) &&
        (query.status === undefined || row.status === query.status) &&
        (query.idempotencyKey === undefined || row.idempotencyKey === query.idempotencyKey) &&
        (query.createdBefore === undefined || row.createdAt < query.createdBefore.getTime()) &&
        (query.cursor === undefined || compareIds(row.id, query.cursor) < 0),
    )
    .sort((a, b) => compareIds(b.id, a.id))
  return { rows: matching.slice(0, query.limit), more: matching.length > query.limit }
}

/** Runs by status, the backlog of due, free runs, and the runs live leases hold. @internal */
export function statsOf(rows: readonly RunRow[], now: number): RunStats {
  const byStatus = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>
  let due = 0
  let oldest: number | null = null
  let leased = 0
  for (const row of rows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1
    if (isDueAndFree(row, now)) {
      due++
      oldest = oldest === null ? row.dueAt : Math.min(oldest, row.dueAt!)
    }
    if (row.leaseOwner !== null && row.leaseExpiresAt !== null && row.leaseExpiresAt > now) leased++
  }
  return { byStatus, due, oldestDueAt: oldest === null ? null : new Date(oldest), leased }
}

/** Runs to prune in the order they go: ended first, then by id. @internal */
export function pruneOrder(rows: readonly RunRow[]): RunRow[] {
  return [...rows].sort((a, b) => a.updatedAt - b.updatedAt || compareIds(a.id, b.id))
}

/** Run ids in the order of ULIDs (and of PostgreSQL's text order for them). @internal */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** @internal */
export function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new DurableError('INVALID_INPUT', `limit must be a positive integer (got ${String(limit)})`)
}
