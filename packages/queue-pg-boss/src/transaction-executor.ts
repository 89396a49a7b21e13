import { DurableError } from '@durable/core'
import { CompiledQuery, type Kysely } from 'kysely'
import type { PgBossExecutor } from './pg-boss-instance.js'

/**
 * Wraps the store's Kysely transaction as pg-boss's one-method executor (`{ executeSql }`), so
 * `boss.send(name, data, { db })` inserts the job in that transaction: it exists only if the
 * transaction commits.
 *
 * The transaction is checked by shape, not `instanceof`, so duplicate Kysely installs work.
 *
 * @internal
 */
export function transactionExecutor(transaction: unknown): PgBossExecutor {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tx = transaction as Kysely<any> | null
  if (typeof tx?.executeQuery !== 'function' || typeof tx.selectFrom !== 'function') {
    throw new DurableError('INVALID_INPUT', "pgBossQueue.dispatch: options.transaction must be the store's Kysely transaction (from @durable/store-postgres)")
  }
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const result = await tx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, values))
      return { rows: [...result.rows] }
    },
  }
}
