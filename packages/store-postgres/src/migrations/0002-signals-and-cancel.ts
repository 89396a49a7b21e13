import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Signals (buffered until a run waits for them, each consumed once) and cancel requests.
 * Kept in sync with `schema.sql` (a test compares the two).
 *
 * @internal
 */
export function signalsAndCancel(schema: string): Migration {
  const runs = sql.id(schema, 'runs')
  const journal = sql.id(schema, 'journal')
  const signals = sql.id(schema, 'signals')
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const statements = [
        // Set by cancel(): the worker that next holds the run rolls it back.
        sql`ALTER TABLE ${runs} ADD COLUMN cancel_request jsonb`,
        sql`CREATE TABLE ${signals} (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          run_id text NOT NULL REFERENCES ${runs} (id) ON DELETE CASCADE,
          name text NOT NULL,
          payload jsonb NOT NULL,
          created_at timestamptz NOT NULL,
          consumed_at timestamptz
        )`,
        // A waiting run takes its oldest unconsumed signal of one name.
        sql`CREATE INDEX signals_pending_idx ON ${signals} (run_id, name, id) WHERE consumed_at IS NULL`,
        // A retried run journals run_retried (and a retried child step child_started) once per retry.
        sql`DROP INDEX ${sql.id(schema, 'journal_once_idx')}`,
        sql`CREATE UNIQUE INDEX journal_once_idx ON ${journal} (run_id, step_key, kind)
          WHERE kind NOT IN ('step_failed', 'compensation_failed', 'run_retried', 'child_started')`,
      ]
      for (const statement of statements) await statement.execute(db)
    },
  }
}
