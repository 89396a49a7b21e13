import { defineWorkflow, NonRetryableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

interface Input {
  readonly failSms?: 'once' | 'always'
  readonly slowEmailMs?: number
  readonly failShip?: boolean
}

const log: string[] = []
let inFlight = 0
let mostAtOnce = 0
const smsTries = new Map<string, number>()

/** A branch that records that it ran and how many branches ran at the same time. */
const branch =
  (name: string, body?: (ctx: { input: Input; runId: string; attempt: number; signal: AbortSignal }) => Promise<void>) =>
  async (ctx: { input: Input; runId: string; attempt: number; signal: AbortSignal; stepName: string }) => {
    inFlight++
    mostAtOnce = Math.max(mostAtOnce, inFlight)
    try {
      await new Promise((resolve) => setTimeout(resolve, 100))
      await body?.(ctx)
      log.push(`${ctx.stepName}#${ctx.attempt}`)
      return { sent: name, run: ctx.runId.slice(-4) }
    } finally {
      inFlight--
    }
  }

const fanOut = defineWorkflow<Input>('fan-out')
  .step('reserve', async () => 'r1', { compensate: async () => void log.push('undo reserve') })
  .parallel('notify', {
    email: {
      handler: branch('email', async (ctx) => {
        if (ctx.input.slowEmailMs) await new Promise((resolve) => setTimeout(resolve, ctx.input.slowEmailMs))
      }),
      compensate: async (ctx) => void log.push(`undo email (${(ctx.results as unknown as { notify: { email: { sent: string } } }).notify.email.sent})`),
    },
    sms: {
      handler: branch('sms', async (ctx) => {
        const tries = (smsTries.get(ctx.runId) ?? 0) + 1
        smsTries.set(ctx.runId, tries)
        if (ctx.input.failSms === 'always') throw new NonRetryableError('sms gateway refused the number')
        if (ctx.input.failSms === 'once' && tries === 1) throw new Error('sms gateway busy')
      }),
      maxAttempts: 3,
      backoff: () => '200ms',
      compensate: async () => void log.push('undo sms'),
    },
    push: branch('push'),
  })
  .step('ship', async (ctx) => {
    if (ctx.input.failShip) throw new NonRetryableError('no courier')
    return `shipped after ${Object.keys(ctx.results.notify).sort().join('+')}`
  })

describe.each(backends)('parallel on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([fanOut], { worker: { concurrency: 2 } })
  })
  afterAll(async () => h.close())

  const reset = () => {
    log.length = 0
    mostAtOnce = 0
  }

  it('runs the branches at the same time, journals each on its own and joins their results', async () => {
    reset()
    const runId = await h.durable.start(fanOut, {})
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(mostAtOnce).toBe(3)
    const tail = runId.slice(-4)
    expect(done.results.notify).toEqual({ email: { sent: 'email', run: tail }, sms: { sent: 'sms', run: tail }, push: { sent: 'push', run: tail } })
    expect(done.results.ship).toBe('shipped after email+push+sms')
    const journal = await h.durable.journal(runId)
    expect(journal.map((e) => e.stepKey).sort()).toEqual(['notify.email', 'notify.push', 'notify.sms', 'reserve', 'ship'])
    expect(journal.filter((e) => e.stepKey.startsWith('notify.')).every((e) => e.stepName === 'notify' && e.kind === 'step_completed')).toBe(true)
    expect(journal.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  it('retries a failed branch by its own policy while the others are kept', async () => {
    reset()
    const runId = await h.durable.start(fanOut, { failSms: 'once' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(log.filter((l) => l.startsWith('notify.')).sort()).toEqual(['notify.email#1', 'notify.push#1', 'notify.sms#2'])
    const journal = await h.durable.journal(runId)
    expect(journal.filter((e) => e.stepKey === 'notify.sms').map((e) => `${e.kind}#${e.attempt}`)).toEqual(['step_failed#1', 'step_completed#2'])
  })

  it('a branch failing for good lets the slow one finish, then compensates completed branches and earlier steps in reverse', async () => {
    reset()
    const runId = await h.durable.start(fanOut, { failSms: 'always', slowEmailMs: 700 })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toEqual({ message: 'sms gateway refused the number', code: 'NON_RETRYABLE', step: 'notify.sms' })
    // email was in flight when sms failed: it finished, was journaled, and is undone before reserve.
    expect(log.filter((l) => l.startsWith('undo'))).toEqual(['undo email (email)', 'undo reserve'])
    const kinds = (await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)
    expect(kinds.indexOf('step_completed:notify.email')).toBeLessThan(kinds.indexOf('compensated:notify.email'))
    expect(kinds.filter((k) => k.startsWith('compensated'))).toEqual(['compensated:notify.email', 'compensated:reserve'])
  })

  it('compensates every branch of a finished parallel node when a later step fails', async () => {
    reset()
    const done = await h.durable.waitFor(await h.durable.start(fanOut, { failShip: true }), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(log.filter((l) => l.startsWith('undo'))).toEqual(['undo sms', 'undo email (email)', 'undo reserve'])
  })

  it('retry of a run failed in a branch runs only the failed branch again', async () => {
    reset()
    const runId = await h.durable.start(fanOut, { failSms: 'always' })
    expect((await h.durable.waitFor(runId, { timeout: '20s' })).status).toBe('failed')
    log.length = 0
    await h.durable.retry(runId)
    // Still refused: the retry gets a fresh budget for sms alone, and nothing is undone twice.
    const again = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(again.status).toBe('failed')
    expect(log).toEqual([])
    const journal = await h.durable.journal(runId)
    expect(journal.filter((e) => e.kind === 'step_failed' && e.stepKey === 'notify.sms').map((e) => e.attempt)).toEqual([1, 2])
    expect(journal.filter((e) => e.kind === 'step_completed' && e.stepKey.startsWith('notify.'))).toHaveLength(2)
  })

  it('cancel during the fan-out aborts the branches in flight and compensates what completed', async () => {
    reset()
    const runId = await h.durable.start(fanOut, { slowEmailMs: 5_000 })
    await expect.poll(async () => (await h.durable.journal(runId)).filter((e) => e.kind === 'step_completed').length, { timeout: 10_000 }).toBe(3)
    await h.durable.cancel(runId, { reason: 'customer left' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('cancelled')
    expect(log.filter((l) => l.startsWith('undo'))).toEqual(['undo sms', 'undo reserve'])
    expect((await h.durable.journal(runId)).some((e) => e.stepKey === 'notify.email' && e.kind === 'step_completed')).toBe(false)
  })
})
