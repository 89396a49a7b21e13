import { describe, expect, it } from 'vitest'
import { createTestDatabase } from '../../../testing/database.ts'
import { closedPort, cli } from './helpers.ts'

const PASSWORD = 's3cret-Pa55'

describe('connection failures', () => {
  it('says which server could not be reached, never the password, and exits 1', async () => {
    const port = await closedPort()
    const url = `postgres://alice:${PASSWORD}@127.0.0.1:${port}/app`
    for (const argv of [['runs', 'list'], ['runs', 'show', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], ['migrate']]) {
      const { code, stdout, stderr } = await cli(argv, { env: { DATABASE_URL: url, DURABLE_DEBUG: '1' } })
      expect(code).toBe(1)
      expect(stderr).toBe(`durable: could not connect to postgres://alice@127.0.0.1:${port}/app: connection refused (is PostgreSQL running, on this host and port?)\n`)
      expect(stdout).not.toContain(PASSWORD)
    }
    const json = await cli(['runs', 'list', '--json', '--database-url', url])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stderr).error.code).toBe('CONNECTION_FAILED')
    expect(json.stderr).not.toContain(PASSWORD)
  })

  it('keeps the password out of a login failure (URL-encoded or not)', async () => {
    const database = await createTestDatabase('cli_login')
    try {
      const url = new URL(database.url)
      url.username = 'no_such_user'
      url.password = encodeURIComponent('p@ss word/' + PASSWORD)
      const { code, stderr } = await cli(['runs', 'list'], { env: { DATABASE_URL: url.toString() } })
      expect(code).toBe(1)
      expect(stderr).toMatch(/^durable: could not connect to postgres:\/\/no_such_user@127\.0\.0\.1:\d+\/\S+: .*no_such_user/)
      expect(stderr).not.toContain(PASSWORD)
      expect(stderr).not.toContain(url.password)
    } finally {
      await database.drop()
    }
  })
})
