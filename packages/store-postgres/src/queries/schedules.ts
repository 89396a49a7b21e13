import type { ScheduleAdvance, ScheduleDefinitionRecord, ScheduleRecord } from '@durable/core'
import { sql, type Kysely } from 'kysely'
import { toDate, type Tables } from '../rows.js'

/*
 * The `schedules` table (migration 0007): one row per schedule name, with its definition and the
 * last slot handled. Few rows, touched about once per slot: plain statements, no index but the key.
 */

interface ScheduleRow {
  readonly name: string
  readonly workflow_name: string
  readonly cron: string
  readonly timezone: string
  readonly catch_up: string
  readonly last_slot_at: Date | string
  readonly last_run_id: string | null
}

/**
 * Inserts the schedules not stored yet, due from `now` on, and replaces the definition columns of
 * the others — never their `last_slot_at` or `last_run_id`, which other workers move on.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function saveSchedules(db: Kysely<any>, tables: Tables, schedules: readonly ScheduleDefinitionRecord[], now: Date): Promise<void> {
  if (schedules.length === 0) return
  // Sorted by name: workers saving the same schedules at once lock their rows in one order.
  const rows = [...schedules].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const values = rows.map((s) => sql`(${s.name}, ${s.workflowName}, ${s.cron}, ${s.timezone}, ${s.catchUp}, ${now}::timestamptz, ${now}::timestamptz)`)
  await sql`
    INSERT INTO ${tables.schedules} (name, workflow_name, cron, timezone, catch_up, last_slot_at, updated_at)
    VALUES ${sql.join(values)}
    ON CONFLICT (name) DO UPDATE SET workflow_name = excluded.workflow_name, cron = excluded.cron,
      timezone = excluded.timezone, catch_up = excluded.catch_up, updated_at = excluded.updated_at
  `.execute(db)
}

/** Every stored schedule, by name. @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function listSchedules(db: Kysely<any>, tables: Tables): Promise<ScheduleRecord[]> {
  const { rows } = await sql<ScheduleRow>`
    SELECT name, workflow_name, cron, timezone, catch_up, last_slot_at, last_run_id FROM ${tables.schedules} ORDER BY name
  `.execute(db)
  return rows.map((row) => ({
    name: row.name,
    workflowName: row.workflow_name,
    cron: row.cron,
    timezone: row.timezone,
    catchUp: row.catch_up as ScheduleRecord['catchUp'],
    lastSlotAt: toDate(row.last_slot_at),
    lastRunId: row.last_run_id,
  }))
}

/**
 * The compare-and-set of a schedule's last slot: one UPDATE whose WHERE holds the value read.
 * Two workers that read the same slot both try; the row lock makes the second wait for the
 * first and then find `last_slot_at` changed, so it updates nothing.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function advanceSchedule(db: Kysely<any>, tables: Tables, advance: ScheduleAdvance): Promise<boolean> {
  const runId = advance.runId === undefined ? sql`last_run_id` : sql`${advance.runId}`
  const { rows } = await sql<{ name: string }>`
    UPDATE ${tables.schedules} SET last_slot_at = ${advance.to}, last_run_id = ${runId}
    WHERE name = ${advance.name} AND last_slot_at = ${advance.from}
    RETURNING name
  `.execute(db)
  return rows.length === 1
}
