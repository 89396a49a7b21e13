import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The state of `createDurable`'s `schedules`, one row per schedule name: its definition as the
 * last worker to start saw it (for `durable schedules` and the dashboard), the last slot handled
 * and the run that slot started. Workers move `last_slot_at` on with a compare-and-set in the
 * transaction that creates the slot's run, so two workers never both start one slot.
 * Kept in sync with `schema.sql`.
 *
 * @internal
 */
export function schedules(schema: string): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      await sql`CREATE TABLE ${sql.id(schema, 'schedules')} (
        name text PRIMARY KEY,
        workflow_name text NOT NULL,
        cron text NOT NULL,
        timezone text NOT NULL,
        catch_up text NOT NULL,
        last_slot_at timestamptz NOT NULL,
        last_run_id text,
        updated_at timestamptz NOT NULL
      )`.execute(db)
    },
  }
}
