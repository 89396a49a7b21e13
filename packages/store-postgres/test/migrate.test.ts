import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { postgresStore } from '@durable/store-postgres'
import { sql, type Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { useBackends } from './backends.ts'

const backends = useBackends()

describe.each(backends)('migrate ($name)', (backend) => {
  it('creates the schema, the tables and their indexes', async () => {
    const store = await backend.newStore({ schema: 'Mixed_Case' })
    const shape = await describeSchema(store.db, 'Mixed_Case')
    expect(shape.tables).toEqual(['journal', 'runs', 'schedules', 'shapes', 'signals', 'store_migration', 'store_migration_lock'])
    expect(shape.indexes.join('\n')).toContain('runs_idempotency_key_idx')
    expect(shape.indexes.join('\n')).toContain('journal_once_idx')
  })

  it('is idempotent: a second migrate changes nothing', async () => {
    const store = await backend.newStore()
    const before = await describeSchema(store.db, store.schema)
    await store.migrate()
    await store.migrate()
    expect(await describeSchema(store.db, store.schema)).toEqual(before)
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.id(store.schema, 'store_migration')}`.execute(store.db)
    expect(rows.map((row) => row.name)).toEqual([
      '0001-runs-and-journal',
      '0002-signals-and-cancel',
      '0003-room-for-in-place-updates',
      '0004-definition-versions-and-shapes',
      '0005-indexes-for-prune',
      '0006-flow-control',
      '0007-schedules',
      '0008-run-deadlines',
    ])
  })

  it('is safe to run concurrently from several stores', async () => {
    const stores = await Promise.all([1, 2, 3, 4].map(() => backend.newStore({ schema: 'shared', migrate: false })))
    await Promise.all(stores.map((store) => store.migrate()))
    const { rows } = await sql<{ name: string }>`SELECT name FROM shared.store_migration`.execute(stores[0]!.db)
    expect(rows).toHaveLength(8)
  })

  it('refuses a second step_completed for the same step, even by a raw insert', async () => {
    const store = await backend.newStore()
    await sql`INSERT INTO ${sql.id(store.schema, 'runs')} (id, workflow_name, status, input, state, created_at, updated_at)
      VALUES ('r1', 'wf', 'running', '{}', '{}', now(), now())`.execute(store.db)
    const insert = (seq: number, kind: string, attempt: number) =>
      sql`INSERT INTO ${sql.id(store.schema, 'journal')} (run_id, seq, step_key, step_name, kind, attempt, created_at)
        VALUES ('r1', ${seq}, 'charge', 'charge', ${kind}, ${attempt}, now())`.execute(store.db)
    await insert(1, 'step_failed', 1)
    await insert(2, 'step_failed', 2)
    await insert(3, 'step_completed', 3)
    await expect(insert(4, 'step_completed', 4)).rejects.toMatchObject({ code: '23505' })
    await expect(insert(5, 'step_failed', 2)).rejects.toMatchObject({ code: '23505' })
    await expect(insert(3, 'compensated', 1)).rejects.toMatchObject({ code: '23505' }) // seq taken
    await insert(6, 'compensated', 1)
    await expect(insert(7, 'compensated', 2)).rejects.toMatchObject({ code: '23505' })
  })
})

describe('schema.sql', () => {
  it('matches what the migrations create', async () => {
    const migrated = new PGlite()
    const dumped = new PGlite()
    try {
      const store = postgresStore({ pglite: migrated })
      await store.migrate()
      await dumped.exec(await readFile(new URL('../schema.sql', import.meta.url), 'utf8'))
      const fromDump = postgresStore({ pglite: dumped })
      const expected = await describeSchema(store.db, 'durable')
      const actual = await describeSchema(fromDump.db, 'durable')
      expect(expected.columns).toHaveLength(53)
      expect(expected.indexes).toHaveLength(18)
      expect(expected.constraints).toHaveLength(8)
      expect(actual.columns).toEqual(expected.columns)
      expect(actual.indexes).toEqual(expected.indexes)
      expect(actual.constraints).toEqual(expected.constraints)
      expect(expected.options).toEqual(['runs fillfactor=80'])
      expect(actual.options).toEqual(expected.options)
    } finally {
      await migrated.close()
      await dumped.close()
    }
  })
})

/** Tables, columns, indexes and constraints of a schema, from the catalog, sorted. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function describeSchema(db: Kysely<any>, schema: string) {
  const tables = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY 1`.execute(db)
  const columns = await sql<{ line: string }>`
    SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
    FROM information_schema.columns
    WHERE table_schema = ${schema} AND table_name IN ('runs', 'journal', 'signals', 'shapes', 'schedules') ORDER BY 1`.execute(db)
  const indexes = await sql<{ line: string }>`
    SELECT indexdef AS line FROM pg_indexes WHERE schemaname = ${schema} AND tablename IN ('runs', 'journal', 'signals', 'shapes', 'schedules') ORDER BY 1`.execute(db)
  const constraints = await sql<{ line: string }>`
    SELECT c.conname || ' ' || pg_get_constraintdef(c.oid) AS line
    FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
    WHERE n.nspname = ${schema} AND c.contype <> 'n' AND c.conrelid::regclass::text NOT LIKE '%store_migration%' ORDER BY 1`.execute(db)
  const options = await sql<{ line: string }>`
    SELECT c.relname || ' ' || array_to_string(c.reloptions, ',') AS line
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.reloptions IS NOT NULL ORDER BY 1`.execute(db)
  return {
    options: options.rows.map((row) => row.line),
    tables: tables.rows.map((row) => row.name),
    columns: columns.rows.map((row) => row.line),
    indexes: indexes.rows.map((row) => row.line),
    constraints: constraints.rows.map((row) => row.line),
  }
}
