import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Flow control, enforced by the claim: a run's priority, its concurrency and rate keys with
 * their limits (computed from its input at `start`), when it began (for the rate limit), when a
 * claim last held it back (its concurrency key was full), and its debounce key. Kept in sync
 * with `schema.sql`.
 *
 * Indexes, chosen so that no column a step commit changes is indexed anew (the commit stays an
 * in-place HOT update): `priority`, the keys and `debounce_key` never change once written; `status`
 * and `due_at` were indexed already; `begun_at` changes once per rate-limited run.
 * - `runs_priority_due_idx`: the due scan and the claim's "is a better run waiting?" probe, highest
 *   priority first. With every run at priority 0 the probe is an empty index range.
 * - `runs_concurrency_idx`: the active runs of one concurrency key, to count those held.
 * - `runs_rate_idx`: the begins of one rate key in the last period.
 * - `runs_debounce_idx`: one not-yet-begun run per debounce key, for the upsert of `start`.
 *
 * @internal
 */
export function flowControl(schema: string): Migration {
  const runs = sql.id(schema, 'runs')
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const statements = [
        sql`ALTER TABLE ${runs} ADD COLUMN priority integer NOT NULL DEFAULT 0`,
        sql`ALTER TABLE ${runs} ADD COLUMN concurrency_key text`,
        sql`ALTER TABLE ${runs} ADD COLUMN concurrency_limit integer`,
        sql`ALTER TABLE ${runs} ADD COLUMN rate_key text`,
        sql`ALTER TABLE ${runs} ADD COLUMN rate_limit integer`,
        sql`ALTER TABLE ${runs} ADD COLUMN rate_period_ms bigint`,
        sql`ALTER TABLE ${runs} ADD COLUMN begun_at timestamptz`,
        sql`ALTER TABLE ${runs} ADD COLUMN held_back_at timestamptz`,
        sql`ALTER TABLE ${runs} ADD COLUMN debounce_key text`,
        sql`CREATE INDEX runs_priority_due_idx ON ${runs} (priority DESC, due_at, id)
          WHERE status NOT IN ('completed', 'failed', 'cancelled') AND due_at IS NOT NULL`,
        sql`CREATE INDEX runs_concurrency_idx ON ${runs} (workflow_name, concurrency_key)
          WHERE concurrency_key IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled')`,
        sql`CREATE INDEX runs_rate_idx ON ${runs} (workflow_name, rate_key, begun_at) WHERE rate_key IS NOT NULL`,
        sql`CREATE UNIQUE INDEX runs_debounce_idx ON ${runs} (workflow_name, debounce_key)
          WHERE debounce_key IS NOT NULL AND status = 'pending'`,
      ]
      for (const statement of statements) await statement.execute(db)
    },
  }
}
