import { isDurableError } from '@durable/core'
import type { Kysely } from 'kysely'
import type { PostgresTransaction } from './durable-types.js'

/** Thrown inside a transaction to roll it back after a refused fenced write (never escapes). */
const FENCED_OUT = Symbol('fenced out')

/**
 * What the store remembers about fenced writes (`updateRun`) made inside transactions, so that
 * a transaction's other writes — a `transactional` step's, a consumed signal — never outlive
 * the lease they were made under:
 *
 * - a transaction in which a fenced write was refused (the lease is gone) rolls back instead of
 *   committing;
 * - a transaction that fails with `STORE_UNAVAILABLE` after a fenced write succeeded in it lost
 *   that write, though the writer may go on from it (its in-memory state is one step ahead of
 *   the store). Its further fenced writes to that run are refused — as if it had lost the lease —
 *   until it claims the run again and so reads what the store really holds.
 *
 * @internal
 */
export class FencedTransactions {
  readonly #refused = new WeakSet<object>()
  readonly #written = new WeakMap<object, string[]>()
  /** `owner` + `runId` of writers whose last fenced write went down with its transaction. */
  readonly #stale = new Set<string>()

  /** False when `owner` must not write to `runId` before claiming it again. */
  mayWrite(owner: string, runId: string): boolean {
    return !this.#stale.has(writer(owner, runId))
  }

  /** Records a fenced write made in `tx` and whether the fence let it through. */
  wrote(tx: PostgresTransaction, owner: string, runId: string, held: boolean): void {
    if (!held) this.#refused.add(tx)
    else this.#written.set(tx, [...(this.#written.get(tx) ?? []), writer(owner, runId)])
  }

  /** A successful claim: the owner starts again from the store's view of the run. */
  claimed(owner: string, runId: string): void {
    this.#stale.delete(writer(owner, runId))
  }

  /** Runs `fn` in a transaction of `db`, under the rules above. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async run<T>(db: Kysely<any>, fn: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    let result: T | undefined
    let transaction: PostgresTransaction | undefined
    try {
      return await db.transaction().execute(async (tx) => {
        transaction = tx
        result = await fn(tx)
        if (this.#refused.has(tx)) throw FENCED_OUT
        return result
      })
    } catch (error) {
      if (error === FENCED_OUT) return result as T
      // The connection broke before the COMMIT was confirmed: the fenced writes made here
      // rolled back (or, if only the reply was lost, committed — then refusing costs one lease
      // expiry, never a wrong state).
      if (transaction !== undefined && isDurableError(error, 'STORE_UNAVAILABLE')) {
        for (const key of this.#written.get(transaction) ?? []) this.#stale.add(key)
      }
      throw error
    }
  }
}

function writer(owner: string, runId: string): string {
  return `${owner}\n${runId}`
}
