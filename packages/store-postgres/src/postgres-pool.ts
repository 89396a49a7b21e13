import { DurableError } from '@durable/core'
import pg from 'pg'
import { failoverClient, hostList } from './multi-host.js'
import { PreparingClient } from './prepared-statements.js'

/**
 * A `pg` Pool on a connection string of one host or of several
 * (`postgres://u:p@h1:5432,h2:5432/app?target_session_attrs=read-write`, which `pg` alone cannot
 * parse): the pool `postgresStore({ connectionString })` makes, for queries of your own beside
 * the store's, or for `postgresStore({ pool })`. An idle connection that breaks (a restart, a
 * failover) is dropped, not thrown; the next query connects again, to a host that fits.
 *
 * @throws DurableError `INVALID_INPUT` when the string does not parse; it is never repeated in
 * the message, as it usually holds a password.
 *
 * ### Example
 * ```ts
 * const pool = postgresPool(process.env.DATABASE_URL!, { max: 5 })
 * const { rows } = await pool.query('SELECT count(*) FROM orders')
 * ```
 */
export function postgresPool(connectionString: string, options: { readonly max?: number } = {}): pg.Pool {
  const hosts = hostList(connectionString)
  // Several hosts: each connection goes to one that fits target_session_attrs (multi-host.ts).
  const first = hosts?.hosts[0]!.url ?? connectionString
  try {
    new pg.Client({ connectionString: first }) // parses only; connects on connect()
  } catch {
    throw new DurableError('INVALID_INPUT', 'connectionString is not a valid PostgreSQL connection string (postgres://user:password@host:port/database)')
  }
  const pool = new pg.Pool({ connectionString: first, max: options.max ?? 10, Client: hosts !== undefined ? failoverClient(hosts) : PreparingClient })
  // Unhandled, an idle connection's 'error' would crash the process; the pool drops it.
  pool.on('error', () => {})
  return pool
}
