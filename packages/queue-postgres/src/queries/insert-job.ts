import { sql } from 'kysely'
import type { Executor } from './executor.js'

/**
 * Upserts the job row of a run and, when the job is due within `notifyWithinMs`, notifies
 * `channel` — in one statement, so on a transaction the NOTIFY is sent on commit and never for a
 * rollback.
 *
 * One row per run: the provider re-dispatches runs (each step, each reconciler pass), and only
 * the earliest wake-up matters, since waking a run early is harmless (it re-reads the store and
 * schedules itself again) while waking it late is not. So a conflict keeps the earlier run_at.
 *
 * Both the default `run_at` and the "due soon" test use the server's clock, the clock the claim
 * query compares with.
 *
 * @internal
 */
export async function insertJob(
  db: Executor,
  schema: string,
  job: { runId: string; runAt?: Date },
  notify: { channel: string; withinMs: number },
): Promise<void> {
  const runAt = job.runAt ? sql`cast(${job.runAt.toISOString()} as timestamptz)` : sql`now()`
  await sql`
    with job as (
      insert into ${sql.table(`${schema}.jobs`)} as jobs (run_id, run_at)
      values (${job.runId}, ${runAt})
      on conflict (run_id) do update set run_at = least(jobs.run_at, excluded.run_at)
      returning run_at
    )
    select pg_notify(${notify.channel}, '') from job
    where job.run_at <= clock_timestamp() + cast(${notify.withinMs} as double precision) * interval '1 millisecond'
  `.execute(db)
}
