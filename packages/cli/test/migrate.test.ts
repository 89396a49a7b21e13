import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { cli } from './helpers.ts'

let database: TestDatabase
let env: Record<string, string>
let shown: string

beforeAll(async () => {
  database = await createTestDatabase('cli_migrate')
  env = { DATABASE_URL: database.url }
  const url = new URL(database.url)
  shown = `postgres://${url.username}@${url.host}${url.pathname}`
})
afterAll(async () => database?.drop())

describe('durable migrate', () => {
  it('tells the user to migrate when the tables do not exist yet', async () => {
    const { code, stderr } = await cli(['runs', 'list'], { env })
    expect(code).toBe(1)
    expect(stderr).toBe(
      `durable: the durable tables in ${shown} are missing or older than this version of durable (relation "durable.runs" does not exist): run "durable migrate" first\n`,
    )
  })

  it('creates the tables, showing progress without the password, and is idempotent', async () => {
    const first = await cli(['migrate'], { env })
    expect(first).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^migrating ${escape(shown)}… done \\(\\d+ ms\\)\\n$`)), stderr: '' })
    const again = await cli(['migrate', '--database-url', database.url])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/done/)

    const list = await cli(['runs', 'list'], { env })
    expect(list).toEqual({ code: 0, stdout: 'no runs found\n', stderr: '' })
  })

  it('prints JSON with --json', async () => {
    const { code, stdout } = await cli(['migrate', '--json'], { env })
    expect(code).toBe(0)
    const result = JSON.parse(stdout)
    expect(Object.keys(result)).toEqual(['migrated', 'target', 'durationMs'])
    expect(result).toMatchObject({ migrated: true, target: shown })
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
