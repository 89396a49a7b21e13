import type { Durable } from '@durable/provider'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { checkout, cli, finishRuns, runtimeOn } from './helpers.ts'

let database: TestDatabase
let env: Record<string, string>
let runtime: Durable
let store: PostgresStore

beforeAll(async () => {
  database = await createTestDatabase('cli_prune')
  env = { DATABASE_URL: database.url }
  runtime = await runtimeOn(database.url, [checkout])
  store = postgresStore({ connectionString: database.url })
})
afterAll(async () => {
  await store?.close()
  await runtime?.close()
  await database?.drop()
})

/** Inserts `n` completed runs of `workflow` that ended `days` days ago. */
async function endedRuns(n: number, workflow: string, days: number): Promise<void> {
  await sql`
    INSERT INTO durable.runs (id, workflow_name, status, input, state, created_at, updated_at)
    SELECT ${`${workflow}-${days}-`} || i, ${workflow}, 'completed', '{}', '{}', now() - make_interval(days => ${days}), now() - make_interval(days => ${days})
    FROM generate_series(1, ${n}) AS i
  `.execute(store.db)
}

async function runCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM durable.runs`.execute(store.db)
  return rows[0]!.n
}

describe('durable prune', () => {
  it('deletes the runs that ended longer ago than --older-than, printing how many', async () => {
    const [recent] = await finishRuns(runtime, [() => runtime.start(checkout, { sku: 'P1' })])
    await endedRuns(3, 'checkout', 40)
    await endedRuns(2, 'other', 40)
    const { code, stdout, stderr } = await cli(['prune', '--older-than', '30d', '--workflow', 'checkout'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toBe('deleted 3 runs that ended more than 30d ago (workflow "checkout"), with their journals and signals\n')
    const json = await cli(['prune', '--older-than', '30d', '--json'], { env })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({ count: 2, olderThan: '30d', workflowName: null })
    expect((await runtime.find(recent!)).status).toBe('completed') // younger than 30 days: kept
  })

  it(`asks for --yes before deleting more than 1,000 runs, and deletes nothing without it`, async () => {
    await endedRuns(1001, 'bulk', 60)
    const before = await runCount()
    const refused = await cli(['prune', '--older-than', '30d'], { env })
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: 'durable: 1001 runs that ended more than 30d ago would be deleted, with their journals and signals: run again with --yes to delete them\n',
    })
    const refusedJson = await cli(['prune', '--older-than', '30d', '--json'], { env })
    expect(JSON.parse(refusedJson.stderr)).toMatchObject({ error: { code: 'CONFIRMATION_REQUIRED' } })
    expect(await runCount()).toBe(before)
    const done = await cli(['prune', '--older-than', '30d', '--yes'], { env })
    expect(done).toEqual({ code: 0, stdout: 'deleted 1001 runs that ended more than 30d ago, with their journals and signals\n', stderr: '' })
    expect(await runCount()).toBe(before - 1001)
  })

  it('refuses a missing or bad --older-than as a usage error, before connecting', async () => {
    const unreachable = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }
    for (const args of [['prune'], ['prune', '--older-than', 'soon'], ['prune', '--older-than', '-3d'], ['prune', '--older-than', '30d', '--workflow', '']]) {
      const { code, stderr } = await cli(args, { env: unreachable })
      expect(code, args.join(' ')).toBe(2)
      expect(stderr).toMatch(/older-than|workflow/)
    }
  })
})
