import { DurableError } from '@durable/core'
import { CompiledQuery, type Kysely } from 'kysely'

/** The payload of a wake-up job in Graphile Worker. @internal */
export interface WakePayload {
  runId: string
  /** ISO time the job was due, when it was dispatched with a `runAt`. */
  runAt?: string
}

/** Runs one parameterised statement: a `pg` Pool, or the store's Kysely transaction. @internal */
export type Execute = (text: string, values: unknown[]) => Promise<unknown>

/**
 * The statement that adds a wake-up job: Graphile Worker's own `add_job`, whose NOTIFY wakes
 * idle runners once the job commits. `max_attempts => 1`: retries are the provider's business
 * (durable, in the store), and the adapter's task never throws anyway.
 *
 * `schema` must already be a quoted identifier.
 *
 * @internal
 */
export function addJobStatement(schema: string, taskIdentifier: string, job: { runId: string; runAt?: Date }): { text: string; values: unknown[] } {
  const payload: WakePayload = job.runAt ? { runId: job.runId, runAt: job.runAt.toISOString() } : { runId: job.runId }
  return {
    text: `select 1 from ${schema}.add_job(identifier => $1::text, payload => $2::json, run_at => $3::timestamptz, max_attempts => 1)`,
    values: [taskIdentifier, JSON.stringify(payload), job.runAt ? job.runAt.toISOString() : null],
  }
}

/**
 * Runs statements on the store's Kysely transaction, checked by shape (not `instanceof`) so
 * duplicate Kysely installs work.
 *
 * @internal
 */
export function transactionExecute(transaction: unknown): Execute {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tx = transaction as Kysely<any> | null
  if (typeof tx?.executeQuery !== 'function' || typeof tx.selectFrom !== 'function') {
    throw new DurableError('INVALID_INPUT', "graphileWorkerQueue.dispatch: options.transaction must be the store's Kysely transaction (from @durable/store-postgres)")
  }
  return (text, values) => tx.executeQuery(CompiledQuery.raw(text, values))
}
