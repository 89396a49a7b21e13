import type { StoreTransaction } from '@durable/core'
import { jsonb, type PostgresTransaction } from '@durable/store-postgres'
import { sql, type Transaction } from 'kysely'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { useBackends } from './backends.ts'

const backends = useBackends()

describe.each(backends)('jsonb ($name)', (backend) => {
  it('turns JSON text into a jsonb value, whatever the driver does with parameters', async () => {
    const store = await backend.newStore()
    const { rows } = await sql<{ object: unknown; text: unknown; kind: string; missing: unknown }>`
      SELECT ${jsonb('{"b":1,"a":[2,"✓"]}')} AS object, ${jsonb('"just text"')} AS text,
        jsonb_typeof(${jsonb('"x"')}) AS kind, ${jsonb(null)} AS missing`.execute(store.db)
    expect(rows[0]).toStrictEqual({ object: { a: [2, '✓'], b: 1 }, text: 'just text', kind: 'string', missing: null })
  })
})

describe('ctx.tx typing', () => {
  it('makes the core StoreTransaction a Kysely Transaction', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expectTypeOf<StoreTransaction>().toEqualTypeOf<Transaction<any>>()
    expectTypeOf<PostgresTransaction>().toEqualTypeOf<StoreTransaction>()
  })
})
