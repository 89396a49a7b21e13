import { sql, type Kysely, type Migration } from 'kysely'

/**
 * The jobs table: one row per run that wants waking (`run_id` is unique, so dispatches of the
 * same run collapse into one row), and the index the claim query walks in `run_at` order.
 *
 * @internal
 */
export function jobsMigration(schema: string): Migration {
  return {
    // Kysely<any>: migrations must not depend on today's table types.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createSchema(schema).ifNotExists().execute()
      await db.schema
        .withSchema(schema)
        .createTable('jobs')
        .addColumn('id', 'bigserial', (col) => col.primaryKey())
        .addColumn('run_id', 'text', (col) => col.notNull().unique())
        .addColumn('run_at', 'timestamptz', (col) => col.notNull())
        .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
        .execute()
      await db.schema.withSchema(schema).createIndex('jobs_run_at_idx').on('jobs').column('run_at').execute()
    },
  }
}
