import type { Transaction } from 'kysely'

/**
 * The transaction the store hands out: a Kysely `Transaction` over any tables. `store.transaction`,
 * `createRun`'s callback and `ctx.tx` in `transactional` steps all receive one.
 */
// Kysely<any> on purpose: the store cannot know the user's own tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PostgresTransaction = Transaction<any>

declare module '@durable/core' {
  /** `@durable/store-postgres` types `ctx.tx` as a Kysely `Transaction`. */
  interface DurableTypes {
    transaction: PostgresTransaction
  }
}
