/**
 * Runs a test file against both backends: a real PostgreSQL database (one per file, on the
 * server the root vitest setup starts) and an in-memory PGlite. Every `newStore()` gets its own
 * schema, so tests never see each other's rows.
 */
import { PGlite } from '@electric-sql/pglite'
import type { DefinitionKey, RunState } from '@durable/core'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { monotonicFactory } from 'ulid'
import { afterAll, beforeAll } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

export interface Backend {
  readonly name: 'pg' | 'pglite'
  /** A store on a fresh schema, migrated unless `migrate: false`; closed after the file. */
  newStore(options?: { schema?: string; migrate?: boolean }): Promise<PostgresStore>
}

/** Registers the file's setup and teardown; returns the two backends to `describe.each`. */
export function useBackends(): Backend[] {
  let database: TestDatabase | undefined
  let pglite: PGlite | undefined
  const stores: PostgresStore[] = []
  let schemas = 0

  beforeAll(async () => {
    database = await createTestDatabase('store')
    pglite = new PGlite()
    await pglite.waitReady
  })
  afterAll(async () => {
    for (const store of stores) await store.close()
    await pglite?.close()
    await database?.drop()
  })

  const backend = (name: Backend['name']): Backend => ({
    name,
    async newStore(options = {}) {
      const schema = options.schema ?? `s${++schemas}`
      const store = name === 'pg' ? postgresStore({ connectionString: databaseUrl(database), schema }) : postgresStore({ pglite: mustExist(pglite), schema })
      stores.push(store)
      if (options.migrate !== false) await store.migrate()
      return store
    },
  })
  return [backend('pg'), backend('pglite')]
}

/** The connection string of the file's database (after `beforeAll`). */
export function databaseUrl(database: TestDatabase | undefined): string {
  return mustExist(database).url
}

function mustExist<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('used before beforeAll ran')
  return value
}

const nextId = monotonicFactory()

/** A fresh ULID; later calls sort after earlier ones. */
export function newId(): string {
  return nextId()
}

/** A run state with the given changes. */
export function stateOf(changes: Partial<RunState> = {}): RunState {
  return { status: 'pending', step: 'a', attempt: 1, attempts: 0, error: null, ...changes }
}

/** An instant `ms` milliseconds after a fixed origin, so tests never depend on the clock. */
export function at(ms: number): Date {
  return new Date(Date.UTC(2030, 0, 1) + ms)
}

/** The shape hash every test run records. */
export const TEST_SHAPE = 'test-shape'

/** Claim and scan filters for runs of these workflows, as `insertRun` creates them. */
export function definitions(...names: string[]): DefinitionKey[] {
  return names.map((name) => ({ name, version: null, shapeHash: TEST_SHAPE }))
}

/** Inserts a run of `workflowName` due at `at(0)`; returns its id. */
export async function insertRun(store: PostgresStore, options: { workflowName?: string; input?: unknown; idempotencyKey?: string; now?: Date; id?: string } = {}): Promise<string> {
  const { runId } = await store.createRun({
    id: options.id ?? newId(),
    workflowName: options.workflowName ?? 'wf',
    workflowVersion: null,
    shapeHash: TEST_SHAPE,
    inputJson: JSON.stringify(options.input ?? { n: 1 }),
    state: stateOf(),
    idempotencyKey: options.idempotencyKey ?? null,
    parentRunId: null,
    now: options.now ?? at(0),
  })
  return runId
}

/** Claims `runId` for `owner` at `now` with a lease of `leaseMs`; throws if refused. */
export async function lease(store: PostgresStore, runId: string, owner: string, now = at(0), leaseMs = 30_000): Promise<void> {
  const result = await store.claimRun(runId, { owner, now, leaseUntil: new Date(now.getTime() + leaseMs), definitions: definitions('wf') })
  if (!result.claimed) throw new Error(`could not claim ${runId}: ${result.reason}`)
}
