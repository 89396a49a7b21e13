/**
 * Sees every statement durable sends, by wrapping `pg.Client.prototype.query` (the store's Kysely
 * dialect and listener both go through it): counts them by kind, records a timed trace, and can
 * EXPLAIN (ANALYZE, BUFFERS) the first autocommit statement of each hot kind on a side
 * connection, inside a transaction rolled back at once — the real statement then runs as usual.
 */
import pg from 'pg'

/** Statement kinds, recognised by their text; the first that matches wins. */
const KINDS: ReadonlyArray<[kind: string, pattern: RegExp]> = [
  ['begin', /^begin\b/],
  ['commit', /^commit\b/],
  ['rollback', /^rollback\b/],
  ['claim job (delete … skip locked)', /^delete from "?\w+"?\."?jobs"?/],
  ['claim jobs + their runs (one statement)', /^with picked as \(/],
  ['next job due (min run_at)', /^select cast\(extract\(epoch from min\(run_at\)/],
  ['insert job + notify', /^with job as \( insert into/],
  ['flow claim: decide (counts under the lock)', /^with target as \( select t\.\* from/],
  ['claim run (lease cte)', /^with target as \(/],
  ['flow claim: advisory lock', /^select set_config\('synchronous_commit', 'off', true\), pg_advisory_xact_lock/],
  ['flow claim: take the lease', /^update "?\w+"?\."?runs"? as r set lease_owner/],
  ['wake held-back runs (find due runs on a key)', /^with slots as \(/],
  ['group commit (updateRuns: runs + journal)', /^with i as \( select \* from jsonb_to_recordset/],
  ['commit step (update run + journal cte)', /^with u as \( update .* insert into/],
  ['update run (no journal)', /^with u as \( update/],
  ['insert run', /^(with (shape as \(.*\), )?r as \( )?insert into "?\w+"?\."?runs"?/],
  ['load results', /^select step_key, step_name, (kind, )?result/],
  ['get run', /^select .* from "?\w+"?\."?runs"? as runs where id =/],
  ['renew leases', /^update .* set lease_expires_at = \$1 where lease_owner/],
  ['find due runs (reconciler)', /^select id from .* where status not in/],
  ['listen', /^listen\b/],
]

export const kindOf = (text: string): string => {
  // Statements the store prepares start with a comment saying so.
  const normal = text.replace('/* durable:prepared */', '').replace(/\s+/g, ' ').trim().toLowerCase()
  return KINDS.find(([, pattern]) => pattern.test(normal))?.[0] ?? `other: ${normal.slice(0, 60)}`
}

/** Hot kinds worth a query plan. */
const EXPLAINED = new Set([
  'claim jobs + their runs (one statement)',
  'claim job (delete … skip locked)',
  'next job due (min run_at)',
  'claim run (lease cte)',
  'commit step (update run + journal cte)',
])

export interface TraceEntry {
  readonly kind: string
  readonly startMs: number
  readonly durationMs: number
  readonly inTransaction: boolean
}

export class QueryLog {
  counts = new Map<string, number>()
  trace: TraceEntry[] | undefined
  readonly plans = new Map<string, { sql: string; plan: string }>()
  #explainUrl: string | undefined
  #explaining: Promise<void> = Promise.resolve()

  /** Installs the wrapper; one per process. */
  install(): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const log = this
    const original = pg.Client.prototype.query as (...args: unknown[]) => unknown
    const inTransaction = new WeakSet<object>()
    ;(pg.Client.prototype as unknown as { query: unknown }).query = function (this: object, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined
      const text = typeof first === 'string' ? first : (first?.text ?? '')
      const kind = kindOf(text)
      if (kind === 'begin') inTransaction.add(this)
      const within = inTransaction.has(this)
      if (kind === 'commit' || kind === 'rollback') inTransaction.delete(this)
      log.counts.set(kind, (log.counts.get(kind) ?? 0) + 1)
      const run = () => original.apply(this, args)
      if (log.#explainUrl !== undefined && !within && EXPLAINED.has(kind) && !log.plans.has(kind) && typeof args[args.length - 1] !== 'function') {
        log.plans.set(kind, { sql: text, plan: '(pending)' })
        const params = Array.isArray(args[1]) ? (args[1] as unknown[]) : []
        const explained = log.#explain(kind, text, params)
        log.#explaining = log.#explaining.then(() => explained)
        return explained.then(run)
      }
      const startMs = performance.now()
      const result = run()
      if (log.trace && result instanceof Promise) {
        const trace = log.trace
        void result.then(
          () => trace.push({ kind, startMs, durationMs: performance.now() - startMs, inTransaction: within }),
          () => {},
        )
      }
      return result
    }
  }

  /** From now on, EXPLAIN each hot kind once, on `url`. */
  explainOn(url: string): void {
    this.#explainUrl = url
  }

  async explained(): Promise<void> {
    await this.#explaining
  }

  reset(): void {
    this.counts = new Map()
  }

  async #explain(kind: string, sql: string, params: unknown[]): Promise<void> {
    const client = new pg.Client({ connectionString: this.#explainUrl })
    await client.connect()
    try {
      // Three times, each rolled back, the last one kept: a new session's first planning reads
      // the catalogs (cold caches); the worker's pooled connections plan with warm ones.
      let rows: Array<{ 'QUERY PLAN': string }> = []
      for (let i = 0; i < 3; i++) {
        await client.query('begin')
        rows = (await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off) ${sql}`, params)).rows
        await client.query('rollback')
      }
      this.plans.set(kind, { sql: sql.replace(/\s+/g, ' ').trim(), plan: rows.map((r) => r['QUERY PLAN']).join('\n') })
    } finally {
      await client.end()
    }
  }
}
