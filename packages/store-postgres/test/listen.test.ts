import type { PostgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { describe, expect, it, vi } from 'vitest'
import { useBackends } from './backends.ts'

const backends = useBackends()

/** Collects the payloads delivered to one subscription. */
function collector() {
  const payloads: string[] = []
  return { payloads, onNotify: (payload: string) => payloads.push(payload) }
}

const notify = (store: PostgresStore, channel: string, payload: string) =>
  store.transaction(async (tx) => {
    await sql`SELECT pg_notify(${channel}, ${payload})`.execute(tx)
  })

describe.each(backends)('listen ($name)', (backend) => {
  it('receives a pg_notify committed by another transaction', async () => {
    const store = await backend.newStore()
    const { payloads, onNotify } = collector()
    const stop = await store.listen('durable_jobs', onNotify)
    await notify(store, 'durable_jobs', 'run-1')
    await notify(store, 'other_channel', 'not for us')
    await vi.waitFor(() => expect(payloads).toEqual(['run-1']))
    await stop()
  })

  it('hears nothing from a transaction that rolls back', async () => {
    const store = await backend.newStore()
    const { payloads, onNotify } = collector()
    await store.listen('rolled_back', onNotify)
    await expect(
      store.transaction(async (tx) => {
        await sql`SELECT pg_notify('rolled_back', 'lost')`.execute(tx)
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    await notify(store, 'rolled_back', 'kept')
    await vi.waitFor(() => expect(payloads).toEqual(['kept']))
  })

  it('keeps channel names exact, case and punctuation included', async () => {
    const store = await backend.newStore()
    const upper = collector()
    const lower = collector()
    await store.listen('Durable.Jobs-1', upper.onNotify)
    await store.listen('durable.jobs-1', lower.onNotify)
    await notify(store, 'Durable.Jobs-1', 'A')
    await notify(store, 'durable.jobs-1', 'b')
    await vi.waitFor(() => {
      expect(upper.payloads).toEqual(['A'])
      expect(lower.payloads).toEqual(['b'])
    })
  })

  it('delivers to every subscriber until each stops', async () => {
    const store = await backend.newStore()
    const first = collector()
    const second = collector()
    const stopFirst = await store.listen('shared', first.onNotify)
    const stopSecond = await store.listen('shared', second.onNotify)
    await notify(store, 'shared', '1')
    await vi.waitFor(() => expect(second.payloads).toEqual(['1']))
    await stopFirst()
    await stopFirst() // twice is harmless
    await notify(store, 'shared', '2')
    await vi.waitFor(() => expect(second.payloads).toEqual(['1', '2']))
    await stopSecond()
    await notify(store, 'shared', '3')
    // A later notification on a live channel proves the stopped one had time to arrive.
    const witness = collector()
    await store.listen('witness', witness.onNotify)
    await notify(store, 'witness', 'w')
    await vi.waitFor(() => expect(witness.payloads).toEqual(['w']))
    expect(first.payloads).toEqual(['1'])
    expect(second.payloads).toEqual(['1', '2'])
  })

  it('refuses channel names it cannot listen to exactly', async () => {
    const store = await backend.newStore()
    for (const channel of ['', 'x'.repeat(64), 'a"b', 'nul\u0000']) {
      await expect(store.listen(channel, () => {})).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    }
  })

  it('survives a subscriber that throws', async () => {
    const store = await backend.newStore()
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const good = collector()
    await store.listen('throwing', () => {
      throw new Error('subscriber bug')
    })
    await store.listen('throwing', good.onNotify)
    await notify(store, 'throwing', 'x')
    await vi.waitFor(() => expect(good.payloads).toEqual(['x']))
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('subscriber bug'))
    warnings.mockRestore()
  })
})

describe('listen (pg)', () => {
  const pg = backends.find((backend) => backend.name === 'pg')!

  it('reconnects and listens again when its connection is killed', async () => {
    const store = await pg.newStore()
    const { payloads, onNotify } = collector()
    await store.listen('survivor', onNotify)
    const killed = await sql<{ pid: number }>`
      SELECT pg_terminate_backend(pid) AS pid FROM pg_stat_activity
      WHERE datname = current_database() AND query = 'LISTEN "survivor"'`.execute(store.db)
    expect(killed.rows).toHaveLength(1)
    let sent = 0
    await vi.waitFor(
      async () => {
        await notify(store, 'survivor', `after-${++sent}`)
        expect(payloads.length).toBeGreaterThan(0)
      },
      { timeout: 10_000, interval: 100 },
    )
    expect(payloads.at(-1)).toMatch(/^after-\d+$/)
  })
})
