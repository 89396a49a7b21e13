import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Runs and their journals. Kept in sync with `schema.sql` (a test compares the two).
 *
 * @internal
 */
export function runsAndJournal(schema: string): Migration {
  const runs = sql.id(schema, 'runs')
  const journal = sql.id(schema, 'journal')
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      // One statement per call: PGlite runs every query with the extended protocol, which
      // refuses several statements in one string.
      const statements = [
        sql`CREATE TABLE ${runs} (
          id text PRIMARY KEY,
          workflow_name text NOT NULL,
          status text NOT NULL,
          input jsonb NOT NULL,
          state jsonb NOT NULL,
          error jsonb,
          parent_run_id text,
          idempotency_key text,
          due_at timestamptz,
          lease_owner text,
          lease_expires_at timestamptz,
          next_seq integer NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`,
        // `start(…, { idempotencyKey })`: one run per key and workflow.
        sql`CREATE UNIQUE INDEX runs_idempotency_key_idx ON ${runs} (workflow_name, idempotency_key)
          WHERE idempotency_key IS NOT NULL`,
        // The reconciler's scan (`findDueRuns`): only active runs that are due some day.
        sql`CREATE INDEX runs_due_at_idx ON ${runs} (due_at, id)
          WHERE status NOT IN ('completed', 'failed', 'cancelled') AND due_at IS NOT NULL`,
        // `listRuns`, newest first, filtered by workflow or by status.
        sql`CREATE INDEX runs_workflow_name_id_idx ON ${runs} (workflow_name, id)`,
        sql`CREATE INDEX runs_status_id_idx ON ${runs} (status, id)`,
        sql`CREATE TABLE ${journal} (
          run_id text NOT NULL REFERENCES ${runs} (id) ON DELETE CASCADE,
          seq integer NOT NULL,
          step_key text NOT NULL,
          step_name text NOT NULL,
          kind text NOT NULL,
          attempt integer NOT NULL,
          result jsonb,
          error jsonb,
          created_at timestamptz NOT NULL,
          PRIMARY KEY (run_id, seq),
          CONSTRAINT journal_run_id_step_key_kind_attempt_key UNIQUE (run_id, step_key, kind, attempt)
        )`,
        // Guarantee 1: a step (or its compensation) completes in the journal exactly once;
        // failed attempts each get their own row.
        sql`CREATE UNIQUE INDEX journal_once_idx ON ${journal} (run_id, step_key, kind)
          WHERE kind NOT IN ('step_failed', 'compensation_failed')`,
      ]
      for (const statement of statements) await statement.execute(db)
    },
  }
}
