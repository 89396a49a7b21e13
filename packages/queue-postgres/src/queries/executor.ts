import type { Kysely } from 'kysely'

/**
 * Where a query runs: the store's `Kysely` instance, or one of its transactions (a Kysely
 * `Transaction` is a `Kysely`).
 *
 * @internal
 */
// Kysely<any>: the queue's queries are raw SQL over a table the store's types do not know.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Kysely<any>
