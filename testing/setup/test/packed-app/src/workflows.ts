// The user's workflows, importing @durable/core alone: their types must not depend on which
// other packages happen to be in the same compilation.
import { defineWorkflow } from '@durable/core'
import type { PostgresTransaction } from '@durable/store-postgres'
import { sql } from 'kysely'

/** True only when A and B are the same type. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

export interface Booking {
  guest: string
  at: Date
}

export const booking = defineWorkflow<Booking>('booking')
  .step('confirm', (ctx) => {
    const day: string = ctx.input.at.slice(0, 10)
    return { guest: ctx.input.guest, day, inputAt: typeof ctx.input.at }
  })
  .step('stamp', () => ({ at: new Date('2030-01-01T00:00:00.000Z') }))
  .step('quiet', () => {})
  .step('check', (ctx) => {
    const stampIsString: Equal<typeof ctx.results.stamp.at, string> = true
    const quietIsNull: Equal<typeof ctx.results.quiet, null> = true
    return { stampIsString, quietIsNull, stampAt: typeof ctx.results.stamp.at, quiet: ctx.results.quiet }
  })

// ctx.tx typed by an explicit generic, not by a declaration some other import brings along.
export const ledger = defineWorkflow<{ account: string }, PostgresTransaction>('ledger').step(
  'write',
  async (ctx) => {
    const typed: Equal<typeof ctx.tx, PostgresTransaction | undefined> = true
    const { rows } = await sql<{ account: string }>`select ${ctx.input.account}::text as account`.execute(ctx.tx!)
    return { typed, account: rows[0]?.account ?? null }
  },
  { transactional: true },
)
