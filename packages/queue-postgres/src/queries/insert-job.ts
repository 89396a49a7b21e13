import { sql } from 'kysely'
import { PREPARED } from '@durable/store-postgres'
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
export async function insertJob(db: Executor, schema: string, job: { runId: string; runAt?: Date }, notify: { channel: string; withinMs: number }): Promise<void> {
  await insertJobs(db, schema, [job], notify)
}

/**
 * {@link insertJob} for many runs in one statement, with one NOTIFY for all of them (listeners
 * claim in batches anyway). A run named twice keeps its earliest wake-up.
 *
 * @internal
 */
export async function insertJobs(db: Executor, schema: string, jobs: ReadonlyArray<{ runId: string; runAt?: Date }>, notify: { channel: string; withinMs: number }): Promise<void> {
  // One row per run in the statement: ON CONFLICT DO UPDATE cannot touch a row twice.
  const earliest = new Map<string, string | null>()
  for (const job of jobs) {
    const runAt = job.runAt?.toISOString() ?? null
    const before = earliest.get(job.runId)
    if (!earliest.has(job.runId) || (before !== null && (runAt === null || runAt < before!))) earliest.set(job.runId, runAt)
  }
  if (earliest.size === 0) return
  const rows = JSON.stringify([...earliest].map(([run_id, run_at]) => ({ run_id, run_at })))
  await sql`${sql.raw(PREPARED)}
    with job as (
      insert into ${sql.table(`${schema}.jobs`)} as jobs (run_id, run_at)
      select j.run_id, coalesce(j.run_at, now()) from jsonb_to_recordset(cast(${rows} as jsonb)) as j (run_id text, run_at timestamptz)
      on conflict (run_id) do update set run_at = least(jobs.run_at, excluded.run_at)
      returning run_at
    )
    select pg_notify(${notify.channel}, '')
    where exists (select 1 from job where job.run_at <= clock_timestamp() + cast(${notify.withinMs} as double precision) * interval '1 millisecond')
  `.execute(db)
}
