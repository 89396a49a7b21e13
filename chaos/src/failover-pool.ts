/**
 * Multi-host connection strings (`postgres://u:p@h1:5432,h2:5432/db?target_session_attrs=read-write`),
 * as libpq reads them, for the chaos processes. `pg` (8.23) does not: its parser throws
 * `Invalid URL`, and `postgresStore({ connectionString })` refuses such a string with
 * `INVALID_INPUT`. So a store on several hosts is made from `{ pool }`: a `pg.Pool` whose socket
 * connects to the first host that answers as a primary (`pg_is_in_recovery()` false), checked
 * with a short probe connection before each new connection — libpq's `read-write` rule. The
 * pool's `stream` option travels with `pool.options`, so the store's liveness connection and
 * migration-lock client follow the primary too.
 */
import { Socket } from 'node:net'
import type { PostgresStoreOptions } from '@durable/store-postgres'
import pg from 'pg'

interface MultiHost {
  readonly hosts: ReadonlyArray<{ host: string; port: number }>
  readonly user: string
  readonly password: string
  readonly database: string
  readonly applicationName: string | undefined
}

/** `{ connectionString }` for one host; `{ pool }` that follows the primary for several. */
export function storeOptions(url: string, poolSize = 10): PostgresStoreOptions {
  const multi = parseMultiHost(url)
  return multi === undefined ? { connectionString: url } : { pool: failoverPool(multi, poolSize) }
}

/** A plain pool for one host; a pool that follows the primary for several. */
export function poolFor(url: string, max: number): pg.Pool {
  const multi = parseMultiHost(url)
  return multi === undefined ? new pg.Pool({ connectionString: url, max }) : failoverPool(multi, max)
}

/** The parts of a multi-host URL; `undefined` for a single host. */
export function parseMultiHost(url: string): MultiHost | undefined {
  const match = /^postgres(?:ql)?:\/\/([^:@/]+):([^@/]*)@([^/]+)\/([^?]+)(?:\?(.*))?$/.exec(url)
  if (match === null || !match[3]!.includes(',')) return undefined
  const params = new URLSearchParams(match[5] ?? '')
  const attrs = params.get('target_session_attrs') ?? 'any'
  if (attrs !== 'read-write') throw new Error(`only target_session_attrs=read-write is supported here (got ${attrs})`)
  return {
    hosts: match[3]!.split(',').map((part) => {
      const [host, port] = part.split(':')
      return { host: host!, port: Number(port ?? 5432) }
    }),
    user: decodeURIComponent(match[1]!),
    password: decodeURIComponent(match[2]!),
    database: decodeURIComponent(match[4]!),
    applicationName: params.get('application_name') ?? undefined,
  }
}

function failoverPool(multi: MultiHost, max: number): pg.Pool {
  let preferred = 0
  /** The first host, from the one that served last, that takes writes. */
  const choose = async (): Promise<{ host: string; port: number }> => {
    const failures: string[] = []
    for (let i = 0; i < multi.hosts.length; i++) {
      const index = (preferred + i) % multi.hosts.length
      const candidate = multi.hosts[index]!
      const probe = new pg.Client({ ...candidate, user: multi.user, password: multi.password, database: multi.database, connectionTimeoutMillis: 2000, query_timeout: 2000 })
      probe.on('error', () => {})
      try {
        await probe.connect()
        const { rows } = await probe.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')
        if (rows[0]?.standby === false) {
          preferred = index
          return candidate
        }
        failures.push(`${candidate.host}:${candidate.port} is a standby`)
      } catch (error) {
        failures.push(`${candidate.host}:${candidate.port}: ${(error as Error).message}`)
      } finally {
        void probe.end().catch(() => {})
      }
    }
    // A network code: the store reports it as STORE_UNAVAILABLE, and workers retry.
    throw Object.assign(new Error(`no server takes writes (${failures.join('; ')})`), { code: 'ECONNREFUSED' })
  }
  // Credentials in a connectionString, not in `password`: pg.Pool hides `password` from
  // `pool.options` (non-enumerable), and the store's liveness connection is made from a copy of
  // `pool.options` — it would log in without one. Its host and port are never used: the socket
  // goes where `choose` says.
  const first = multi.hosts[0]!
  const query = multi.applicationName !== undefined ? `?application_name=${encodeURIComponent(multi.applicationName)}` : ''
  const pool = new pg.Pool({
    connectionString: `postgres://${encodeURIComponent(multi.user)}:${encodeURIComponent(multi.password)}@${first.host}:${first.port}/${encodeURIComponent(multi.database)}${query}`,
    max,
    stream: () => new FollowingSocket(choose),
  })
  // An idle connection to a primary that died emits 'error' on the pool: the pool drops it, and
  // a pool the caller owns must listen, or the process crashes.
  pool.on('error', () => {})
  return pool
}

/** A socket whose `connect()` goes to the host `choose` picks, whatever host and port it is given. */
class FollowingSocket extends Socket {
  readonly #choose: () => Promise<{ host: string; port: number }>
  constructor(choose: () => Promise<{ host: string; port: number }>) {
    super()
    this.#choose = choose
  }

  // @ts-expect-error -- one overload of net.Socket#connect, the one pg calls: (port, host).
  override connect(_port: number, _host: string): this {
    this.#choose().then(
      ({ host, port }) => super.connect(port, host),
      (error: unknown) => this.destroy(error as Error),
    )
    return this
  }
}
