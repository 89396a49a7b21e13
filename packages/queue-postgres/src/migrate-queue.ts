import { DurableError } from '@durable/core'
import { Migrator, type Kysely, type Migration } from 'kysely'
import { jobsMigration } from './migrations/0001-jobs.js'

/**
 * Creates or upgrades the queue's tables in `schema`; idempotent and safe to run from several
 * processes at once (Kysely's migrator takes an advisory lock).
 *
 * The queue keeps its own migration table, `queue_migration`, next to the store's: a Kysely
 * `Migrator` refuses to run when its table lists migrations it does not know, so two packages
 * must never share one.
 *
 * @internal
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateQueue(db: Kysely<any>, schema: string): Promise<void> {
  const migrations: Record<string, Migration> = { '0001-jobs': jobsMigration(schema) }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
    migrationTableName: 'queue_migration',
    migrationLockTableName: 'queue_migration_lock',
  })
  const { error } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new DurableError('STORE_UNAVAILABLE', `postgresQueue: migrating the jobs table in schema "${schema}" failed: ${reason}`, { cause: error })
  }
}
