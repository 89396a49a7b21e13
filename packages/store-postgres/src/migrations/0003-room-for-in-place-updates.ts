import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Leaves a fifth of each `runs` page free, so the update a worker makes at every step finds room
 * on the row's own page and is done in place (a HOT update: no new index entries). Applies to
 * pages written from now on. Kept in sync with `schema.sql`.
 *
 * @internal
 */
export function roomForInPlaceUpdates(schema: string): Migration {
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>): Promise<void> {
      await sql`ALTER TABLE ${sql.id(schema, 'runs')} SET (fillfactor = 80)`.execute(db)
    },
  }
}
