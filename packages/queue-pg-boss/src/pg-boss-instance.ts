/**
 * The part of a `PgBoss` instance the adapter calls, written out here rather than imported from
 * pg-boss: pg-boss 10 exports its class as the default export (`import PgBoss from 'pg-boss'`),
 * pg-boss 12 by name (`import { PgBoss } from 'pg-boss'`), and their type namespaces differ. So
 * these declarations name no pg-boss type, and an instance of either version fits.
 */

/** pg-boss's executor option (`db`): runs one statement, here in the store's transaction. */
export interface PgBossExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>
}

/** The send options the adapter uses. */
export interface PgBossSendOptions {
  retryLimit?: number
  startAfter?: Date
  db?: PgBossExecutor
}

/** A fetched job, as far as the adapter reads it. */
export interface PgBossJob<T> {
  id: string
  data: T
}

/** A `PgBoss` instance of pg-boss 10 or 12: the methods {@link pgBossQueue} calls. */
export interface PgBossInstance {
  start(): Promise<unknown>
  send(name: string, data: object, options: PgBossSendOptions): Promise<string | null>
  fetch<T>(name: string, options: { batchSize: number }): Promise<Array<PgBossJob<T>>>
  complete(name: string, id: string): Promise<unknown>
  fail(name: string, id: string, data: object): Promise<unknown>
  createQueue(name: string, options: { name: string; policy: 'standard'; retryLimit: number }): Promise<void>
  getQueue(name: string): Promise<object | null>
}
