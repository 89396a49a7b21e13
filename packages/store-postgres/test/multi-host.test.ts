/**
 * Multi-host connection strings (`h1:port,h2:port`), which `pg` cannot parse: the store tries
 * the hosts in order and keeps to one that fits `target_session_attrs`. A standby refused by
 * `read-write` is tested with real streaming replication in chaos/test/failover.test.ts.
 */
import { createServer, type Server } from 'node:net'
import { DurableError, LIVE_OWNER_MARK } from '@durable/core'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

describe('postgresStore on a multi-host connection string', () => {
  let database: TestDatabase
  let closedPort: number
  const stores: PostgresStore[] = []

  beforeAll(async () => {
    database = await createTestDatabase('multi_host')
    // A port nothing listens on: take one, then give it back.
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closedPort = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  afterAll(async () => {
    for (const store of stores) await store.close()
    await database.drop()
  })

  /** The test database's URL with `hosts` in place of its one host. */
  const withHosts = (hosts: string, query = '') => {
    const url = new URL(database.url)
    return `postgres://${url.username}:${url.password}@${hosts}${url.pathname}${query}`
  }
  const serverHost = () => new URL(database.url).host

  it.each(['any', 'read-write', 'primary'])('skips a host that refuses and works on the next (target_session_attrs=%s)', async (attrs) => {
    const store = postgresStore({
      connectionString: withHosts(`127.0.0.1:${closedPort},${serverHost()}`, `?target_session_attrs=${attrs}`),
      schema: `mh_${attrs.replace('-', '_')}`,
    })
    stores.push(store)
    await store.migrate()
    const { rows } = await sql<{ port: number }>`select inet_server_port() as port`.execute(store.db)
    expect(rows[0]!.port).toBe(Number(new URL(database.url).port))
    // The liveness connection goes where the pool's connections go.
    const liveness = await store.holdLiveness!(`multi-host-${attrs}${LIVE_OWNER_MARK}`)
    expect(liveness.alive).toBe(true)
    await liveness.release()
  })

  it('fails with STORE_UNAVAILABLE naming each host, never the password, when no host answers', async () => {
    const store = postgresStore({ connectionString: withHosts(`127.0.0.1:${closedPort},127.0.0.1:${closedPort}`, '?target_session_attrs=read-write&connect_timeout=2') })
    stores.push(store)
    const error = await store.migrate().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(DurableError)
    expect((error as DurableError).code).toBe('STORE_UNAVAILABLE')
    expect(String((error as Error).message)).not.toContain(new URL(database.url).password)
  })

  it('refuses target_session_attrs it does not support, and a malformed host list, with INVALID_INPUT', () => {
    expect(() => postgresStore({ connectionString: withHosts(`${serverHost()},${serverHost()}`, '?target_session_attrs=standby') })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('target_session_attrs=standby') }),
    )
    expect(() => postgresStore({ connectionString: withHosts(`${serverHost()},`) })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
