/**
 * Security: every value reaches PostgreSQL as a parameter (hostile names round-trip exactly and
 * run no SQL), identifiers that cannot be parameters are validated, and no secret — the
 * connection string's password — shows in an error, a log line or a stored error.
 */
import { inspect } from 'node:util'
import { defineWorkflow, isDurableError, type Workflow } from '@durable/core'
import { createDurable, silentLogger, type Logger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { freePort } from '../../../testing/free-port.ts'
import { postgresHarness, type Harness } from './harness.ts'

const HOSTILE_NAMES = [
  "Robert'); DROP TABLE durable.runs;--",
  "'; SELECT pg_sleep(10); --",
  '"quoted" name',
  '$1 $2 ? :name',
  '% _ \\ LIKE wildcards',
  'ünïcødé 🚀 中文 𝕏',
  '\u202e right-to-left \u200b',
  'new\nline\ttab',
  'durable.runs',
  '*/ /* comment',
  'x'.repeat(200),
]

/** Workflow `name` with a step `name` that echoes its input and a signal wait of a hostile name. */
function hostileWorkflow(name: string): Workflow {
  return defineWorkflow<{ name: string }>(name)
    .step(name, async (ctx) => ({ echoed: ctx.input.name }))
    .waitForSignal(signalName(name))
}
const signalName = (name: string) => `${name.slice(0, 190)} ¡sig'`

describe('every value is a parameter', () => {
  let h: Harness
  beforeAll(async () => {
    h = await postgresHarness(HOSTILE_NAMES.map(hostileWorkflow))
  })
  afterAll(async () => h.close())

  it('round-trips hostile workflow, step and signal names, idempotency keys and inputs exactly', async () => {
    const ids = new Map<string, string>()
    for (const name of HOSTILE_NAMES) {
      const runId = await h.durable.start(name, { name }, { idempotencyKey: name })
      ids.set(name, runId)
      await h.durable.signal(runId, signalName(name), { from: name })
      expect(await h.durable.start(name, { name }, { idempotencyKey: name })).toBe(runId)
    }
    for (const [name, runId] of ids) {
      const done = await h.durable.waitFor(runId, { timeout: '20s' })
      expect(done).toMatchObject({ status: 'completed', workflowName: name, input: { name } })
      expect(done.results).toEqual({ [name]: { echoed: name }, [signalName(name)]: { from: name } })
      expect((await h.durable.journal(runId)).map((e) => [e.kind, e.stepName, e.stepKey])).toEqual([
        ['step_completed', name, name],
        ['signal_received', signalName(name), signalName(name)],
      ])
      // Equality, not LIKE: `%` and `_` match nothing but themselves.
      expect((await h.durable.list({ workflowName: name })).runs.map((run) => run.id)).toEqual([runId])
    }
    // No name ran as SQL: every table is there, with exactly the runs started.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from durable.runs`.execute(h.store.db)
    expect(rows[0]!.n).toBe(HOSTILE_NAMES.length)
  })
})

describe('identifiers are validated, not quoted blindly', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase('identifiers')
  })
  afterAll(async () => database.drop())

  it.each(['durable; DROP TABLE x', 'a"b', 'a b', '1abc', '', 'é', 'a'.repeat(64), 'a.b'])('refuses the schema name %j', (schema) => {
    const error = catchSync(() => postgresStore({ connectionString: database.url, schema }))
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
  })

  it.each(["jobs'; --", 'a"b', 'a b', 'x'.repeat(64)])('refuses the queue channel %j', (channel) => {
    const store = postgresStore({ connectionString: database.url })
    const error = catchSync(() => postgresQueue({ store, channel }))
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    return store.close()
  })

  it('works in a schema whose valid name needs quoting (mixed case, 63 characters)', async () => {
    const echo = defineWorkflow('echo').step('one', async () => 1)
    for (const schema of ['Mixed_Case', `S${'x'.repeat(62)}`]) {
      const store = postgresStore({ connectionString: database.url, schema })
      const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 100 }), workflows: [echo], logger: silentLogger })
      await durable.migrate()
      const worker = durable.worker({ concurrency: 1 })
      await worker.start()
      const done = await durable.waitFor(await durable.start(echo), { timeout: '20s' })
      expect(done.status).toBe('completed')
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.runs`)}`.execute(store.db)
      expect(rows[0]!.n).toBe(1)
      await durable.close()
    }
  })
})

describe('no secret in errors, logs or stored errors', () => {
  const secret = 'S3cr3t-pa55word-never-shown'
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase('secrets')
  })
  afterAll(async () => database.drop())

  /** A logger that keeps every line as a real logger would print it: the object in full. */
  function capturingLogger(): Logger & { lines: string[] } {
    const lines: string[] = []
    const line = (obj: object, msg?: string) => void lines.push(`${msg ?? ''} ${inspect(obj, { depth: 10 })}`)
    return { lines, info: line, warn: line, error: line, debug: line }
  }
  const withPassword = (url: string, port?: number) => {
    const parsed = new URL(url)
    parsed.password = secret
    if (port !== undefined) parsed.port = String(port)
    return parsed.toString()
  }
  const shown = (error: unknown) => `${String(error)} ${inspect(error, { depth: 10 })}`

  it.each([
    ['a wrong password', () => withPassword(database.url)],
    ['an unreachable port', async () => withPassword(database.url, await freePort())],
  ])('with %s: start() fails with STORE_UNAVAILABLE, and neither it nor the worker’s log shows the password', async (_case, url) => {
    const connectionString = await url()
    expect(connectionString).toContain(secret)
    const store = postgresStore({ connectionString })
    const logger = capturingLogger()
    const echo = defineWorkflow('echo').step('one', async () => 1)
    const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 50, logger }), workflows: [echo], logger })
    const error = await durable.start(echo).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isDurableError(error, 'STORE_UNAVAILABLE')).toBe(true)
    expect(shown(error)).not.toContain(secret)
    const migrateError = await durable.migrate().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isDurableError(migrateError)).toBe(true)
    expect(shown(migrateError)).not.toContain(secret)
    const worker = durable.worker({ reconcileIntervalMs: 50 })
    await worker.start()
    await until(async () => logger.lines.length >= 2)
    await durable.close()
    expect(logger.lines.filter((line) => line.includes(secret))).toEqual([])
  })

  it('refuses a malformed connection string without repeating it', () => {
    const error = catchSync(() => postgresStore({ connectionString: `postgres://admin:${secret}@db.example.com:99999/app` }))
    expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    expect(shown(error)).not.toContain(secret)
  })

  it('stores no password in the journal when a step fails to connect', async () => {
    const leaky = defineWorkflow('leaky').step(
      'connect',
      async () => {
        const elsewhere = postgresStore({ connectionString: withPassword(database.url) })
        try {
          await elsewhere.getRun('x')
        } finally {
          await elsewhere.close()
        }
      },
      { maxAttempts: 1 },
    )
    const h = await postgresHarness([leaky])
    try {
      const done = await h.durable.waitFor(await h.durable.start(leaky), { timeout: '20s' })
      expect(done.status).toBe('failed')
      expect(done.error?.message).toMatch(/^could not connect to PostgreSQL/)
      const stored = await sql<{ text: string }>`select coalesce(error::text, '') as text from durable.journal
        union all select coalesce(error::text, '') from durable.runs`.execute(h.store.db)
      expect(stored.rows.some((row) => row.text.includes('password authentication failed'))).toBe(true)
      expect(stored.rows.filter((row) => row.text.includes(secret))).toEqual([])
    } finally {
      await h.close()
    }
  })
})

function catchSync(call: () => unknown): unknown {
  try {
    call()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
