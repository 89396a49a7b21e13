import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Indexes that keep `prune()` and retention bounded on big tables. Kept in sync with
 * `schema.sql` (a test compares the two).
 *
 * - `runs_ended_idx`: the ended runs by status and creation time. A run ends after it was
 *   created, so "ended before T" is also "created before T": each batch is a range scan over
 *   ended runs only, never over the active ones. Not on `updated_at`: an index on a column that
 *   every step changes would stop Postgres updating the row in place (HOT) at every step;
 *   `created_at` never changes, and `status` is indexed already.
 * - `signals_run_id_idx`: deleting a run deletes its signals (`ON DELETE CASCADE`), consumed
 *   ones included, which `signals_pending_idx` does not cover: without it each deleted run
 *   would scan the whole signals table.
 *
 * @internal
 */
export function indexesForPrune(schema: string): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const statements = [
        sql`CREATE INDEX runs_ended_idx ON ${sql.id(schema, 'runs')} (status, created_at)
          WHERE status IN ('completed', 'failed', 'cancelled')`,
        sql`CREATE INDEX signals_run_id_idx ON ${sql.id(schema, 'signals')} (run_id)`,
      ]
      for (const statement of statements) await statement.execute(db)
    },
  }
}
