import { defineWorkflow, NonRetryableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const log: string[] = []
const fast = { backoff: () => '20ms' as const }

const flaky = defineWorkflow<{ failTimes: number }>('flaky').step(
  'call',
  async (ctx) => {
    log.push(`call:${ctx.attempt}`)
    if (ctx.attempt <= ctx.input.failTimes) throw new Error(`boom ${ctx.attempt}`)
    return { ok: ctx.attempt }
  },
  { maxAttempts: 3, ...fast },
)

const saga = defineWorkflow<{ failWith: 'retryable' | 'fatal' }>('saga')
  .step('reserve', async () => ({ id: 'r1' }), {
    compensate: async (ctx) => {
      log.push(`release:${ctx.results.reserve.id}`)
    },
  })
  .step('note', async () => 'no undo')
  .step('charge', async () => ({ paymentId: 'p1' }), {
    compensate: {
      handler: async (ctx) => {
        log.push(`refund:${ctx.attempt}`)
        if (ctx.attempt < 2) throw new Error('refund service down')
      },
      maxAttempts: 2,
      ...fast,
    },
  })
  .step(
    'ship',
    async (ctx) => {
      log.push(`ship:${ctx.attempt}`)
      if (ctx.input.failWith === 'fatal') throw new NonRetryableError('address is invalid')
      throw new Error('carrier down')
    },
    { maxAttempts: 2, ...fast },
  )

const stubborn = defineWorkflow('stubborn')
  .step('a', async () => 1, {
    compensate: async () => {
      log.push('undo-a')
    },
  })
  .step('b', async () => 2, {
    compensate: {
      handler: async () => {
        log.push('undo-b')
        throw new Error('cannot undo b')
      },
      maxAttempts: 2,
      ...fast,
    },
  })
  .step('c', async () => {
    throw new NonRetryableError('c failed')
  })

describe.each(backends)('retries and compensation on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([flaky, saga, stubborn])
  })
  afterAll(async () => h.close())

  it('retries a failing step with durable attempts until it succeeds', async () => {
    log.length = 0
    const runId = await h.durable.start(flaky, { failTimes: 2 })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ call: { ok: 3 } })
    expect(log).toEqual(['call:1', 'call:2', 'call:3'])
    const journal = await h.durable.journal(runId)
    expect(journal.map((e) => [e.kind, e.attempt])).toEqual([
      ['step_failed', 1],
      ['step_failed', 2],
      ['step_completed', 3],
    ])
    expect(journal[0]!.error).toMatchObject({ message: 'boom 1' })
    expect(done.attempts).toBe(3)
  })

  it('fails the run when attempts run out, naming the step', async () => {
    const runId = await h.durable.start(flaky, { failTimes: 5 })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toEqual({ message: 'boom 3', step: 'call' })
    expect(done.result).toBeNull()
  })

  it('compensates completed steps in reverse after a step fails for good, retrying a compensator', async () => {
    log.length = 0
    const runId = await h.durable.start(saga, { failWith: 'retryable' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toEqual({ message: 'carrier down', step: 'ship' })
    expect(log).toEqual(['ship:1', 'ship:2', 'refund:1', 'refund:2', 'release:r1'])
    const kinds = (await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}:${e.attempt}`)
    expect(kinds).toEqual([
      'step_completed:reserve:1',
      'step_completed:note:1',
      'step_completed:charge:1',
      'step_failed:ship:1',
      'step_failed:ship:2',
      'compensation_failed:charge:1',
      'compensated:charge:2',
      'compensated:reserve:1',
    ])
  })

  it('skips remaining attempts on NonRetryableError and records its code', async () => {
    log.length = 0
    const done = await h.durable.waitFor(await h.durable.start(saga, { failWith: 'fatal' }), { timeout: '20s' })
    expect(done.error).toEqual({ message: 'address is invalid', code: 'NON_RETRYABLE', step: 'ship' })
    expect(log.filter((l) => l.startsWith('ship'))).toEqual(['ship:1'])
  })

  it('records a compensator that keeps failing and goes on with the rollback', async () => {
    log.length = 0
    const runId = await h.durable.start(stubborn)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toEqual({ message: 'c failed', code: 'NON_RETRYABLE', step: 'c' })
    expect(log).toEqual(['undo-b', 'undo-b', 'undo-a'])
    const tail = (await h.durable.journal(runId)).slice(-3).map((e) => `${e.kind}:${e.stepKey}`)
    expect(tail).toEqual(['compensation_failed:b', 'compensation_failed:b', 'compensated:a'])
  })
})
