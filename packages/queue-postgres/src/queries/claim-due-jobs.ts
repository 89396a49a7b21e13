import { sql } from 'kysely'
import { PREPARED } from '@durable/store-postgres'
import type { Executor } from './executor.js'

/**
 * Takes up to `limit` due jobs, oldest `run_at` first, by deleting them. `SKIP LOCKED` lets
 * consumers in many processes claim side by side: a row another consumer is deleting is skipped,
 * not waited for, so no job is handed to two of them.
 *
 * Delete-on-claim holds no transaction or lock while the handler runs (one short autocommit
 * statement). A job lost in a crash after this statement is harmless: the run stays due in the
 * store, and the provider's reconciler re-dispatches it once its lease is free. For the same
 * reason the delete does not wait for its WAL flush (`synchronous_commit` off for this statement
 * only): if the database crashes before the flush, the job comes back — a duplicate wake-up, which
 * the provider tolerates — and the consumer saves a commit wait per job.
 *
 * @internal
 */
export async function claimDueJobs(db: Executor, schema: string, limit: number): Promise<Array<{ runId: string; runAt: Date }>> {
  const jobs = sql.table(`${schema}.jobs`)
  const { rows } = await sql<{ run_id: string; run_at: Date | string }>`${sql.raw(PREPARED)}
    delete from ${jobs}
    where id in (
      select id from ${jobs} as j, (select set_config('synchronous_commit', 'off', true)) as async_commit
      where run_at <= now()
      order by run_at
      limit ${limit}
      for update of j skip locked
    )
    returning run_id, run_at
  `.execute(db)
  return rows.map((row) => ({ runId: row.run_id, runAt: new Date(row.run_at) }))
}
