import { DurableError } from '@durable/core'
import pg from 'pg'
import { PreparingClient } from './prepared-statements.js'

/**
 * Multi-host connection strings, as libpq reads them:
 * `postgres://user:password@h1:5432,h2:5432/app?target_session_attrs=read-write`. `pg` (8.x)
 * cannot parse them (`Invalid URL`), so the store splits the host list itself and gives its pool
 * a client class that, at each connect, goes to the first host that fits `target_session_attrs`
 * — starting from the one that served last, so after a failover new connections skip the dead
 * host. Every connection the store makes (pool, liveness, migration lock) uses that class.
 */
export interface HostList {
  /** One connection string per host, each with everything else of the original. */
  readonly hosts: readonly { readonly label: string; readonly url: string }[]
  readonly sessionAttrs: SessionAttrs
  readonly probeTimeoutMs: number
}

/** The values of libpq's `target_session_attrs` the store supports. */
type SessionAttrs = 'any' | 'read-write' | 'primary'
const SESSION_ATTRS: readonly string[] = ['any', 'read-write', 'primary']

/** How long a host may take to accept a probe connection when the string sets no `connect_timeout`. */
const DEFAULT_PROBE_TIMEOUT_MS = 5000

/** The host list of a multi-host connection string; `undefined` for a single host. */
export function hostList(connectionString: string): HostList | undefined {
  const match = /^(postgres(?:ql)?:\/\/)(?:([^@/?]*)@)?([^/?]*)(.*)$/.exec(connectionString)
  if (match === null || !match[3]!.includes(',')) return undefined
  const [, scheme, userInfo, hostPart, rest] = match as unknown as [string, string, string | undefined, string, string]
  const queryAt = rest.indexOf('?')
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt)
  const params = new URLSearchParams(queryAt === -1 ? '' : rest.slice(queryAt + 1))
  const sessionAttrs = params.get('target_session_attrs') ?? 'any'
  if (!SESSION_ATTRS.includes(sessionAttrs)) {
    throw new DurableError('INVALID_INPUT', `target_session_attrs=${sessionAttrs} is not supported by postgresStore; use any, read-write or primary`)
  }
  params.delete('target_session_attrs')
  const query = params.toString() !== '' ? `?${params.toString()}` : ''
  const hosts = hostPart.split(',').map((host) => {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(:\d+)?$/.test(host)) {
      throw new DurableError('INVALID_INPUT', `connectionString has an empty or malformed host in its host list ("${host}"); write host:port,host:port`)
    }
    return { label: host, url: `${scheme}${userInfo !== undefined ? `${userInfo}@` : ''}${host}${path}${query}` }
  })
  const connectTimeout = Number(params.get('connect_timeout'))
  return { hosts, sessionAttrs: sessionAttrs as SessionAttrs, probeTimeoutMs: connectTimeout > 0 ? connectTimeout * 1000 : DEFAULT_PROBE_TIMEOUT_MS }
}

/** A client class for a store's pool on `list`: each connect goes to a host that fits. */
export function failoverClient(list: HostList): typeof PreparingClient {
  let preferred = 0
  const choose = async (): Promise<{ host: string; port: number }> => {
    const failures: string[] = []
    for (let i = 0; i < list.hosts.length; i++) {
      const index = (preferred + i) % list.hosts.length
      const candidate = list.hosts[index]!
      const unfit = await probe(candidate.url, list)
      if (unfit === undefined) {
        preferred = index
        const { host, port } = new pg.Client({ connectionString: candidate.url })
        return { host, port }
      }
      failures.push(`${candidate.label}: ${unfit}`)
    }
    // A network code: the store reports it as STORE_UNAVAILABLE, and workers retry.
    throw Object.assign(new Error(`no host of the connection string fits target_session_attrs=${list.sessionAttrs} (${failures.join('; ')})`), { code: 'ECONNREFUSED' })
  }
  class FailoverClient extends PreparingClient {}
  // pg connects to `this.host`/`this.port` (and checks a TLS certificate against that host): set
  // them first. One function for pg's two overloads. With a callback (as pg-pool connects), pg
  // calls it in the same tick as the server's "ready": the pool adds its 'error' listener before
  // a message that came in the same packet (a termination) is emitted — a promise in between
  // would leave that error unhandled and crash the process.
  const connect = PreparingClient.prototype.connect as (this: pg.Client, callback?: (error: Error | null, client?: pg.Client) => void) => Promise<unknown> | undefined
  FailoverClient.prototype.connect = function (this: pg.Client, callback?: (error: Error | null, client?: pg.Client) => void) {
    const chosen = choose().then(({ host, port }) => {
      this.host = host
      this.port = port
    })
    if (callback === undefined) return chosen.then(() => connect.call(this))
    chosen.then(
      () => connect.call(this, callback),
      (error: Error) => callback(error),
    )
    return undefined
  } as typeof pg.Client.prototype.connect
  return FailoverClient
}

/** Why the host at `url` does not fit `target_session_attrs`; `undefined` when it does. */
async function probe(url: string, list: HostList): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: list.probeTimeoutMs, query_timeout: list.probeTimeoutMs })
  client.on('error', () => {})
  try {
    await client.connect()
    if (list.sessionAttrs === 'any') return undefined
    const { rows } = await client.query<{ standby: boolean; read_only: string }>(`SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only`)
    if (rows[0]?.standby === true) return 'a standby'
    if (list.sessionAttrs === 'read-write' && rows[0]?.read_only === 'on') return 'read-only'
    return undefined
  } catch (error) {
    return (error as Error).message
  } finally {
    void client.end().catch(() => {})
  }
}
