import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { FALLBACK_NOTE } from '../src/app-connection.ts'
import { cli } from './helpers.ts'

let database: TestDatabase
let env: Record<string, string>
let store: PostgresStore
let durable: Durable

/** A failed run that `retry` can resume: it failed for good at `ship`. */
const FAILED_STATE = JSON.stringify({ status: 'failed', failedAt: { step: 'ship', attempt: 3 }, error: { message: 'carrier down', step: 'ship' } })

/** Inserts `n` runs of `workflow` in `status`, ids `<prefix>-0001`…, created at `createdAt` (default now). */
async function seed(prefix: string, n: number, workflow: string, status: string, createdAt?: Date): Promise<void> {
  const state = status === 'failed' ? FAILED_STATE : JSON.stringify({ status })
  await sql`
    INSERT INTO durable.runs (id, workflow_name, status, input, state, created_at, updated_at)
    SELECT ${prefix} || '-' || lpad(i::text, 4, '0'), ${workflow}, ${status}, '{}', cast(${state} AS jsonb), coalesce(${createdAt ?? null}, now()), now()
    FROM generate_series(1, ${n}) AS i
  `.execute(store.db)
}

/** Every run, by id: its status and its cancel request. */
async function snapshot(): Promise<Map<string, { status: string; cancel: unknown }>> {
  const { rows } = await sql<{ id: string; status: string; cancel: unknown }>`SELECT id, status, cancel_request AS cancel FROM durable.runs ORDER BY id`.execute(store.db)
  return new Map(rows.map((row) => [row.id, { status: row.status, cancel: row.cancel }]))
}

/** Ids whose row differs between two snapshots. */
function changed(before: Map<string, unknown>, after: Map<string, unknown>): string[] {
  return [...after.keys()].filter((id) => JSON.stringify(before.get(id)) !== JSON.stringify(after.get(id)))
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(4, '0')}`)

beforeAll(async () => {
  database = await createTestDatabase('cli_bulk')
  env = { DATABASE_URL: database.url }
  store = postgresStore({ connectionString: database.url })
  // No worker: the runs stay as the commands leave them, to be counted exactly.
  durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [], logger: silentLogger })
  await durable.migrate()
  await seed('napper-wait', 1001, 'napper', 'waiting')
  await seed('napper-run', 30, 'napper', 'running')
  await seed('napper-done', 20, 'napper', 'completed')
  await seed('other-wait', 50, 'other', 'waiting')
  await seed('orders-failed', 1002, 'orders', 'failed')
  await seed('old-failed', 15, 'legacy', 'failed', new Date('2020-06-01T00:00:00Z'))
  await seed('new-failed', 25, 'legacy', 'failed')
})
afterAll(async () => {
  await durable?.close()
  await database?.drop()
})

describe('durable cancel with filters', () => {
  it('says how many runs match and cancels none of them above 1,000 without --yes', async () => {
    const before = await snapshot()
    expect(await cli(['cancel', '--workflow', 'napper', '--status', 'waiting'], { env })).toEqual({
      code: 1,
      stdout: '1001 waiting runs of workflow "napper" to cancel\n',
      stderr: 'durable: 1001 waiting runs of workflow "napper" would be cancelled: run again with --yes to cancel them\n',
    })
    const json = await cli(['cancel', '--workflow', 'napper', '--status', 'waiting', '--json'], { env })
    expect(json.code).toBe(1)
    expect(json.stdout).toBe('')
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'CONFIRMATION_REQUIRED' } })
    expect(changed(before, await snapshot())).toEqual([])
  })

  it('with --yes, cancels exactly the 1,001 runs that match, with the reason, and touches no other', async () => {
    const before = await snapshot()
    const { code, stdout, stderr } = await cli(['cancel', '--workflow', 'napper', '--status', 'waiting', '--reason', 'promo ended', '--yes'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: FALLBACK_NOTE })
    expect(stdout).toBe(
      '1001 waiting runs of workflow "napper" to cancel\ncancelling 1001 runs: workers stop each at its next step boundary, compensate its finished steps and end it cancelled\n',
    )
    const after = await snapshot()
    expect(changed(before, after)).toEqual(ids('napper-wait', 1001))
    for (const id of ids('napper-wait', 1001)) expect(after.get(id)).toEqual({ status: 'waiting', cancel: { reason: 'promo ended' } })
  })

  it('below the threshold needs no --yes; without --status it takes every active run of the workflow', async () => {
    const before = await snapshot()
    const { code, stdout } = await cli(['cancel', '--workflow', 'other', '--json'], { env })
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual({ matched: 50, count: 50, workflowName: 'other', status: null, createdBefore: null, reason: null })
    expect(changed(before, await snapshot())).toEqual(ids('other-wait', 50))
  })
})

describe('durable retry with filters', () => {
  it('retries exactly the 1,002 failed runs of a workflow with --yes, and none without it', async () => {
    const before = await snapshot()
    const refused = await cli(['retry', '--status', 'failed', '--workflow', 'orders'], { env })
    expect(refused).toEqual({
      code: 1,
      stdout: '1002 failed runs of workflow "orders" to retry\n',
      stderr: 'durable: 1002 failed runs of workflow "orders" would be retried: run again with --yes to retry them\n',
    })
    expect(changed(before, await snapshot())).toEqual([])
    const { code, stdout, stderr } = await cli(['retry', '--status', 'failed', '--workflow', 'orders', '--yes', '--json'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(stdout)).toEqual({ matched: 1002, count: 1002, workflowName: 'orders', status: 'failed', createdBefore: null })
    const after = await snapshot()
    expect(changed(before, after)).toEqual(ids('orders-failed', 1002))
    // Asked for: the worker that claims each run next resumes it from `ship`.
    for (const id of ids('orders-failed', 1002)) expect(after.get(id)).toEqual({ status: 'pending', cancel: null })
  })

  it('--created-before picks the failed runs created before that time', async () => {
    const before = await snapshot()
    const { code, stdout } = await cli(['retry', '--status', 'failed', '--created-before', '2021-01-01'], { env })
    expect(code).toBe(0)
    expect(stdout).toBe(
      '15 failed runs created before 2021-01-01T00:00:00.000Z to retry\nretrying 15 runs from the steps that failed: workers that have their workflows registered pick them up\n',
    )
    expect(changed(before, await snapshot())).toEqual(ids('old-failed', 15))
    expect((await durable.list({ workflowName: 'legacy', status: 'failed' })).runs).toHaveLength(25)
  })
})

describe('bad filters', () => {
  // Refused before connecting: this database is never reached, so nothing can be done.
  const unreachable = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }
  const ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV'
  it.each([
    [['cancel'], 'missing <id>, or filters to cancel many runs: --workflow NAME, --status STATUS, --created-before DATE'],
    [['retry'], 'missing <id>, or filters to retry many runs: --status failed, --workflow NAME, --created-before DATE'],
    [['cancel', '--status', 'sleeping'], '--status must be one of pending, running, waiting, compensating, completed, failed, cancelled, got "sleeping"'],
    [['cancel', '--status', 'completed'], '--status completed: a completed run cannot be cancelled; cancel takes --status pending, running, waiting, compensating'],
    [['retry', '--status', 'waiting'], '--status waiting: a waiting run cannot be retried; retry takes --status failed'],
    [['cancel', ID, '--workflow', 'napper'], 'give a run id or filters (--workflow, --status, --created-before), not both'],
    [['retry', ID, '--status', 'failed'], 'give a run id or filters (--status, --workflow, --created-before), not both'],
    [['cancel', '--workflow', ''], '--workflow needs a workflow name'],
    [['retry', '--status', 'failed', '--created-before', 'yesterday'], '--created-before must be a date or an ISO time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z, got "yesterday"'],
    [['cancel', ID, '--yes'], '--yes goes with filters (--workflow, --status, --created-before), not with a run id'],
  ])('%j exits 2 with a usage error', async (argv, message) => {
    const { code, stdout, stderr } = await cli(argv, { env: unreachable })
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' })
    expect(stderr.split('\n')[0]).toBe(`durable: ${message}`)
    const json = await cli([...argv, '--json'], { env: unreachable })
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'USAGE', message } })
  })
})
