import { describeValue, DurableError, parseDuration, type Duration, type PruneRunsQuery } from '@durable/core'
import type { RuntimeContext } from './runtime-context.js'

/**
 * How long ended runs are kept before workers delete them, with their journals and signals:
 * one `Duration` for every ended run, or one per status. A status left out is kept for ever.
 *
 * ### Example
 * ```ts
 * createDurable({ store, queue, workflows, retention: { completed: '7d', failed: '30d' } })
 * ```
 */
export type Retention = Duration | { readonly completed?: Duration; readonly failed?: Duration; readonly cancelled?: Duration }

/** The ended statuses, which `retention` may name. */
type EndedStatus = 'completed' | 'failed' | 'cancelled'
const ENDED: readonly EndedStatus[] = ['completed', 'failed', 'cancelled']

/** `retention` checked and in milliseconds, per ended status. @internal */
export type RetentionPolicy = ReadonlyArray<{ readonly status: EndedStatus; readonly keepMs: number }>

/** Runs deleted by one statement: each batch is its own short transaction. @internal */
export const PRUNE_BATCH = 500

/** Half the range of a JS Date (~137,000 years): now minus it is a valid date. */
const MAX_KEEP_MS = 4.32e15

/** Most batches one retention pass deletes per status: the rest waits for the next pass. */
const BATCHES_PER_PASS = 20

/**
 * Checks `createDurable`'s `retention` option; an unknown key or a bad duration →
 * `INVALID_DEFINITION`, before anything runs. Undefined → no retention.
 * @internal
 */
export function parseRetention(value: unknown): RetentionPolicy {
  if (value === undefined) return []
  if (typeof value === 'number' || typeof value === 'string') {
    const ms = keepMs(value, 'retention')
    return ENDED.map((status) => ({ status, keepMs: ms }))
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DurableError('INVALID_DEFINITION', `createDurable option retention is a Duration or { completed?, failed?, cancelled? }, got ${describeValue(value)}`)
  }
  const unknown = Object.keys(value).filter((key) => !ENDED.includes(key as EndedStatus))
  if (unknown.length > 0) {
    throw new DurableError('INVALID_DEFINITION', `createDurable option retention has unknown key ${JSON.stringify(unknown[0])}: it takes completed, failed and cancelled`)
  }
  const byStatus = value as Partial<Record<EndedStatus, unknown>>
  return ENDED.filter((status) => byStatus[status] !== undefined).map((status) => ({ status, keepMs: keepMs(byStatus[status], `retention.${status}`) }))
}

/** A retention duration in ms, short enough that "now minus it" is still a date. */
function keepMs(value: unknown, what: string): number {
  const ms = parseDuration(value, `createDurable option ${what}`, 'INVALID_DEFINITION')
  if (ms > MAX_KEEP_MS) throw new DurableError('INVALID_DEFINITION', `createDurable option ${what} is too long: ${describeValue(value)}`)
  return ms
}

/**
 * Deletes the ended runs that match, in batches of {@link PRUNE_BATCH}, at most `maxBatches`.
 * Batches keep each statement's locks and WAL small, and let workers go on meanwhile. A batch
 * smaller than asked for ends it: nothing more matched (or the rest was locked, and waits).
 * @internal
 */
export async function pruneInBatches(rt: RuntimeContext, query: Omit<PruneRunsQuery, 'limit' | 'dryRun'>, maxBatches = Number.POSITIVE_INFINITY): Promise<number> {
  const pruneRuns = rt.store.pruneRuns?.bind(rt.store)
  if (pruneRuns === undefined) throw new DurableError('INVALID_INPUT', 'this store cannot prune runs (it has no pruneRuns)')
  let count = 0
  for (let batch = 0; batch < maxBatches; batch++) {
    const deleted = await pruneRuns({ ...query, limit: PRUNE_BATCH })
    count += deleted
    if (deleted < PRUNE_BATCH) break
  }
  return count
}

/**
 * One pass of retention: for each status it names, deletes runs that ended longer ago than it
 * keeps them — a bounded amount per pass, so a first pass over years of history does not hold
 * a worker's connection for minutes; the next pass goes on. Returns how many runs went.
 * @internal
 */
export async function applyRetention(rt: RuntimeContext): Promise<number> {
  if (rt.retention.length === 0) return 0
  await rt.syncClock()
  const now = rt.clock.now().getTime()
  let count = 0
  for (const { status, keepMs } of rt.retention) {
    count += await pruneInBatches(rt, { status, endedBefore: new Date(now - keepMs) }, BATCHES_PER_PASS)
  }
  return count
}
