import type { RunChange, RunRecord } from '@durable/core'
import { sql, type Kysely, type Transaction } from 'kysely'
import { assertStorableText } from '../identifiers.js'
import { jsonb } from '../jsonb.js'
import { runColumns, toRunRecord, type RunRow, type Tables } from '../rows.js'

/**
 * A change by someone who does not hold the run's lease — `signal`, `cancel`, `retry` — made
 * under the row lock, so it serializes with claims and fenced commits: a worker committing at
 * the same moment either commits first (and the change sees its result) or finds its lease
 * revoked.
 *
 * @internal
 */
export async function changeRun(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  tables: Tables,
  runId: string,
  now: Date,
  decide: (run: RunRecord) => RunChange,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  inTransaction?: (tx: Transaction<any>) => Promise<void>,
): Promise<RunRecord | undefined> {
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<RunRow>`SELECT ${runColumns('runs')} FROM ${tables.runs} AS runs WHERE id = ${runId} FOR UPDATE`.execute(tx)
    if (!rows[0]) return undefined
    const run = toRunRecord(rows[0])
    const change = decide(run)
    const sets = [sql`updated_at = ${now}`]
    // The state stays as the worker last committed it: the next claim decides from there.
    // A cancel asked for before the run failed was spent on its rollback; only one asked for
    // after the retry applies to the resumed run.
    if (change.retryRequest) sets.push(sql`status = 'pending'`)
    if (change.retryRequest && change.cancelRequest === undefined) sets.push(sql`cancel_request = NULL`)
    if (change.dueAt !== undefined) sets.push(sql`due_at = ${change.dueAt}`)
    if (change.revokeLease) sets.push(sql`lease_owner = NULL`, sql`lease_expires_at = NULL`)
    if (change.cancelRequest !== undefined) sets.push(sql`cancel_request = ${jsonb(JSON.stringify(change.cancelRequest))}`)
    await sql`UPDATE ${tables.runs} SET ${sql.join(sets, sql`, `)} WHERE id = ${runId}`.execute(tx)
    if (change.signal !== undefined) {
      assertStorableText(change.signal.name, `signal name ${JSON.stringify(change.signal.name.slice(0, 40))}`)
      await sql`
        INSERT INTO ${tables.signals} (run_id, name, payload, created_at)
        VALUES (${runId}, ${change.signal.name}, ${jsonb(change.signal.payloadJson)}, ${now})
      `.execute(tx)
    }
    await inTransaction?.(tx)
    return run
  })
}
