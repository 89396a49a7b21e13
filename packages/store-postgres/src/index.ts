/**
 * `@durable/store-postgres`: the PostgreSQL run store of durable workflows. Runs and their
 * journals live in two tables (`runs`, `journal`) of one schema (`durable` by default), written
 * through Kysely — on a `pg` Pool, on any Kysely PostgreSQL dialect, or on PGlite in-process.
 *
 * - a step's result is journaled exactly once (unique indexes), ordered by a per-run `seq`;
 * - a worker's lease on a run is fenced: its writes apply only while it still holds the lease;
 * - `claimRun` and `updateRun` (the per-step hot path) are one statement each.
 *
 * ```ts
 * import { postgresStore } from '@durable/store-postgres'
 *
 * const store = postgresStore({ connectionString: process.env.DATABASE_URL })
 * await store.migrate()
 * ```
 *
 * @packageDocumentation
 */
export { postgresStore, PostgresStore } from './postgres-store.js'
export type {
  PostgresStoreCommonOptions,
  PostgresStoreConnectionStringOptions,
  PostgresStoreKyselyOptions,
  PostgresStoreOptions,
  PostgresStorePGliteOptions,
  PostgresStorePoolOptions,
} from './postgres-store-options.js'
export type { PostgresTransaction } from './durable-types.js'
export type { TakenJob } from './queries/claim-job-runs.js'
export { jsonb } from './jsonb.js'
export { PREPARED } from './prepared-statements.js'
export { postgresPool } from './postgres-pool.js'
export { PGliteDialect } from './pglite-dialect.js'
export type { PGliteClient, PGliteDialectConfig } from './pglite-dialect.js'
