import { sql, type Kysely, type Migration } from 'kysely'

/**
 * A run records the definition it started with — its workflow's `version` and the hash of its
 * shape (the names, kinds and nesting of its steps) — so that only a worker with that exact
 * definition drives it. `shapes` keeps each shape's text once, for the log line that says what
 * differs when a run waits for its definition. Runs started before this migration have no
 * shape: any definition of their name and version may drive them, as before.
 * Kept in sync with `schema.sql`.
 *
 * @internal
 */
export function definitionVersionsAndShapes(schema: string): Migration {
  const runs = sql.id(schema, 'runs')
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      const statements = [
        sql`ALTER TABLE ${runs} ADD COLUMN workflow_version text`,
        sql`ALTER TABLE ${runs} ADD COLUMN shape_hash text`,
        sql`CREATE TABLE ${sql.id(schema, 'shapes')} (
          hash text PRIMARY KEY,
          shape text NOT NULL,
          created_at timestamptz NOT NULL
        )`,
      ]
      for (const statement of statements) await statement.execute(db)
    },
  }
}
