/**
 * Fuzzes the public API with hostile input (fixed seed, bounded runs): every call either does
 * what it promises or throws a `DurableError` with a code — never a raw driver error, a crash, a
 * hang, or a half-written row.
 */
import { defineWorkflow, NonRetryableError } from '@durable/core'
import type { Durable } from '@durable/provider'
import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresHarness, type Harness } from './harness.ts'
import { hostilePayload, hostileText, hostileValue, outcomeOf, show } from './hostile-values.ts'

const echo = defineWorkflow<unknown>('echo').step('echo', async (ctx) => ctx.input)
const waiter = defineWorkflow('waiter')
  .waitForSignal('go')
  .step('after', async () => 'went')
const doomed = defineWorkflow('doomed').step('fail', async () => {
  throw new NonRetryableError('doomed')
})

const FUZZ = { seed: 20_261_125, numRuns: 60, endOnFailure: true }
const MiB = 1024 * 1024

describe('hostile input to the public API (postgres)', () => {
  let h: Harness
  let durable: Durable
  const runs: Record<'completed' | 'failed' | 'waiting' | 'pending', string> = { completed: '', failed: '', waiting: '', pending: '' }

  beforeAll(async () => {
    h = await postgresHarness([echo, waiter, doomed])
    durable = h.durable
    runs.completed = (await durable.waitFor(await durable.start(echo, { a: 1 }), { timeout: '20s' })).id
    runs.failed = (await durable.waitFor(await durable.start(doomed), { timeout: '20s' })).id
    runs.waiting = await durable.start(waiter)
    await until(async () => (await durable.find(runs.waiting)).status === 'waiting')
    // From here on nothing runs in the background: every row that appears was written by a call.
    await h.worker.stop()
    runs.pending = await durable.start(echo, { b: 2 })
  })
  afterAll(async () => h.close())

  const counts = async () => {
    const { rows } = await sql<{ runs: number; journal: number; signals: number }>`select
      (select count(*)::int from durable.runs) as runs, (select count(*)::int from durable.journal) as journal,
      (select count(*)::int from durable.signals) as signals`.execute(h.store.db)
    return rows[0]!
  }
  const runIds = () => fc.oneof(hostileValue, fc.constantFrom(...Object.values(runs)))
  const refusedWith = (codes: string[]) => (outcome: { ok: boolean; code?: string }) => outcome.ok || codes.includes(outcome.code!)

  it('start: stores the input exactly, or refuses it with a code and writes nothing', async () => {
    const keys = new Map<string, string>()
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom<unknown>('echo', echo, 'waiter'), hostileValue, fc.constant(defineWorkflow('unregistered'))),
        hostilePayload,
        fc.oneof(fc.constant(undefined), fc.record({ idempotencyKey: fc.oneof(hostileText, hostileValue) })),
        async (workflow, input, options) => {
          const before = await counts()
          const outcome = await outcomeOf(`start(${show(workflow)}, ${show(input)}, ${show(options?.idempotencyKey)})`, () =>
            durable.start(workflow as string, input as never, options as never),
          )
          const after = await counts()
          if (!outcome.ok) {
            expect(['WORKFLOW_NOT_REGISTERED', 'NOT_SERIALIZABLE', 'PAYLOAD_TOO_LARGE', 'INVALID_INPUT']).toContain(outcome.code)
            expect(after).toEqual(before)
            return
          }
          const key = options?.idempotencyKey as string | undefined
          const repeated = key !== undefined && keys.get(`${(workflow as { name?: string }).name ?? workflow}:${key}`) === outcome.value
          expect(after).toEqual({ ...before, runs: before.runs + (repeated ? 0 : 1) })
          if (key !== undefined) keys.set(`${(workflow as { name?: string }).name ?? workflow}:${key}`, outcome.value)
          if (!repeated) expect((await durable.find(outcome.value)).input).toEqual(input === undefined ? null : JSON.parse(JSON.stringify(input)))
        },
      ),
      FUZZ,
    )
  })

  it('find, journal and waitFor: answer, or refuse a bad run id with a code', async () => {
    await fc.assert(
      fc.asyncProperty(runIds(), async (runId) => {
        const before = await counts()
        const label = show(runId)
        expect(await outcomeOf(`find(${label})`, () => durable.find(runId as string))).toSatisfy(refusedWith(['RUN_NOT_FOUND', 'INVALID_INPUT']))
        expect(await outcomeOf(`journal(${label})`, () => durable.journal(runId as string))).toSatisfy(refusedWith(['RUN_NOT_FOUND', 'INVALID_INPUT']))
        expect(await outcomeOf(`waitFor(${label})`, () => durable.waitFor(runId as string, { timeout: 20 }))).toSatisfy(
          refusedWith(['RUN_NOT_FOUND', 'INVALID_INPUT', 'WAIT_TIMEOUT']),
        )
        expect(await counts()).toEqual(before)
      }),
      FUZZ,
    )
  })

  it('signal: keeps a signal for an active run, or refuses with a code and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(runIds(), fc.oneof(fc.constant('go'), hostileText, hostileValue), hostilePayload, async (runId, name, payload) => {
        const before = await counts()
        const outcome = await outcomeOf(`signal(${show(runId)}, ${show(name)}, ${show(payload)})`, () => durable.signal(runId as string, name as string, payload))
        expect(outcome).toSatisfy(refusedWith(['RUN_NOT_FOUND', 'INVALID_INPUT', 'RUN_NOT_ACTIVE', 'NOT_SERIALIZABLE', 'PAYLOAD_TOO_LARGE']))
        expect(await counts()).toEqual(outcome.ok ? { ...before, signals: before.signals + 1 } : before)
        if (outcome.ok) {
          const { rows } = await sql<{ name: string; payload: string }>`select name, payload::text as payload from durable.signals order by id desc limit 1`.execute(h.store.db)
          expect(rows[0]!.name).toBe(name)
          expect(JSON.parse(rows[0]!.payload)).toEqual(payload === undefined ? null : JSON.parse(JSON.stringify(payload)))
        }
      }),
      FUZZ,
    )
  })

  it('cancel and retry: act on a run in the right state, or refuse with a code', async () => {
    await fc.assert(
      fc.asyncProperty(runIds(), fc.oneof(fc.constant(undefined), fc.record({ reason: fc.oneof(hostileText, hostileValue) })), async (runId, options) => {
        const before = await counts()
        const cancelled = await outcomeOf(`cancel(${show(runId)}, ${show(options?.reason)})`, () => durable.cancel(runId as string, options as never))
        expect(cancelled).toSatisfy(refusedWith(['RUN_NOT_FOUND', 'INVALID_INPUT', 'RUN_NOT_ACTIVE']))
        expect(await counts()).toEqual(before)
        const retried = await outcomeOf(`retry(${show(runId)})`, () => durable.retry(runId as string))
        expect(retried).toSatisfy(refusedWith(['RUN_NOT_FOUND', 'INVALID_INPUT', 'RUN_NOT_ACTIVE']))
        // A retry only asks: the worker that claims the run journals run_retried. No row is written by the call.
        expect(await counts()).toEqual(before)
        if (retried.ok) expect((await durable.find(runId as string)).status).toBe('pending')
      }),
      FUZZ,
    )
  })

  it('list: pages with any filter, or refuses a bad one with INVALID_INPUT', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            workflowName: fc.oneof(fc.constant('echo'), hostileText, hostileValue),
            status: fc.oneof(fc.constantFrom('completed', 'pending'), hostileValue),
            limit: fc.oneof(fc.integer({ min: -5, max: 2000 }), hostileValue),
            cursor: fc.oneof(hostileText, hostileValue),
          },
          { requiredKeys: [] },
        ),
        async (options) => {
          const outcome = await outcomeOf(`list(${show(JSON.stringify(options, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))})`, () => durable.list(options as never))
          expect(outcome).toSatisfy(refusedWith(['INVALID_INPUT']))
        },
      ),
      FUZZ,
    )
  })

  it('defineWorkflow: accepts a name or refuses it with INVALID_DEFINITION / DUPLICATE_STEP, at once', async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, hostileValue, async (workflowName, stepName) => {
        const defined = await outcomeOf(`defineWorkflow(${show(workflowName)})`, () =>
          defineWorkflow(workflowName as string)
            .step(stepName as string, async () => 1)
            .step('other', async () => 2),
        )
        expect(defined).toSatisfy(refusedWith(['INVALID_DEFINITION', 'DUPLICATE_STEP']))
      }),
      { ...FUZZ, numRuns: 300 },
    )
  })

  it('refuses a 20 MB input, signal payload and cancel reason, writing nothing', async () => {
    const big = { blob: 'x'.repeat(20 * MiB) }
    const before = await counts()
    expect(await outcomeOf('start 20 MB', () => durable.start(echo, big))).toEqual({ ok: false, code: 'PAYLOAD_TOO_LARGE' })
    expect(await outcomeOf('signal 20 MB', () => durable.signal(runs.waiting, 'go', big))).toEqual({ ok: false, code: 'PAYLOAD_TOO_LARGE' })
    expect(await outcomeOf('cancel 20 MB reason', () => durable.cancel(runs.waiting, { reason: big.blob }))).toEqual({ ok: false, code: 'INVALID_INPUT' })
    expect(await counts()).toEqual(before)
  })

  it('refuses 10,000-deep nesting of arrays and objects without overflowing the stack, writing nothing', async () => {
    let arrays: unknown = 1
    let objects: unknown = 1
    for (let i = 0; i < 10_000; i++) {
      arrays = [arrays]
      objects = { next: objects }
    }
    const before = await counts()
    for (const deep of [arrays, objects]) {
      expect(await outcomeOf('start deep', () => durable.start(echo, deep))).toEqual({ ok: false, code: 'NOT_SERIALIZABLE' })
      expect(await outcomeOf('signal deep', () => durable.signal(runs.waiting, 'go', deep))).toEqual({ ok: false, code: 'NOT_SERIALIZABLE' })
    }
    expect(await counts()).toEqual(before)
  })
})

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
