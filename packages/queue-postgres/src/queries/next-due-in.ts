import { sql } from 'kysely'
import type { Executor } from './executor.js'

/**
 * Milliseconds until the earliest job's `run_at` — zero or less when a job is already due (one
 * the last claim skipped because another session holds its row, or that fell due since) — or
 * `undefined` when the table is empty. Computed on the server, the clock the claim compares with.
 *
 * Not `where run_at > now()`: a job falling due between the claim and this query would be seen
 * by neither, and the consumer would sleep a whole poll interval past it.
 *
 * @internal
 */
export async function nextDueIn(db: Executor, schema: string): Promise<number | undefined> {
  const { rows } = await sql<{ due_in_ms: number | string | null }>`
    select cast(extract(epoch from min(run_at) - now()) * 1000 as double precision) as due_in_ms
    from ${sql.table(`${schema}.jobs`)}
  `.execute(db)
  const dueIn = rows[0]?.due_in_ms
  return dueIn === null || dueIn === undefined ? undefined : Number(dueIn)
}
