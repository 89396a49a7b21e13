import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Run deadlines: `start(…, { timeout })` stores when the run times out. A column, not a field of
 * the state: it is fixed at the start like the input, no transition changes it, and the journal
 * replays to the state without it. No index: a parked run's due time (`due_at`, indexed) is kept
 * no later than its deadline, so due-run scans find it there. Kept in sync with `schema.sql`.
 *
 * @internal
 */
export function runDeadlines(schema: string): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      await sql`ALTER TABLE ${sql.id(schema, 'runs')} ADD COLUMN deadline_at timestamptz`.execute(db)
    },
  }
}
