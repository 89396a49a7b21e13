import { defineWorkflow, isDurableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const undone: string[] = []
const abortReasons: unknown[] = []

/** Resolves after `ms`, or as soon as the step's ctx.signal aborts (noting why). */
function stayUntilAborted(ctx: { readonly signal: AbortSignal }, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('finished'), ms)
    ctx.signal.addEventListener('abort', () => {
      abortReasons.push(ctx.signal.reason)
      clearTimeout(timer)
      resolve('aborted')
    })
  })
}

const slow = defineWorkflow('slow')
  .step('reserve', async () => 'r', { compensate: async () => void undone.push('slow:reserve') })
  .step('work', async (ctx) => stayUntilAborted(ctx, 30_000))
  .step('never', async () => 'n')

const napper = defineWorkflow('napper')
  .step('book', async () => 'b', { compensate: async () => void undone.push('napper:book') })
  .sleep('nap', '1h')
  .step('after', async () => 'a')

const approval = defineWorkflow('approval')
  .step('hold', async () => 'h', { compensate: async () => void undone.push('approval:hold') })
  .waitForSignal('approved')

const invoice = defineWorkflow('invoice').step('bill', async (ctx) => stayUntilAborted(ctx, 30_000))
const parent = defineWorkflow('parent')
  .step('order', async () => 'o', { compensate: async () => void undone.push('parent:order') })
  .child('invoice', invoice, () => ({}))

const quick = defineWorkflow('quick').step('only', async () => 'done')

describe.each(backends)('deadlines on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([slow, napper, approval, invoice, parent, quick])
  })
  afterAll(async () => h.close())

  it('stops a long step at the deadline: aborts its ctx.signal, compensates, ends failed RUN_TIMED_OUT', async () => {
    const aborted = abortReasons.length
    const runId = await h.durable.start(slow, undefined, { timeout: '1s' })
    const done = await h.durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'RUN_TIMED_OUT', message: expect.stringContaining('"work"') })
    expect(undone).toContain('slow:reserve')
    expect(abortReasons.slice(aborted)).toHaveLength(1)
    expect(isDurableError(abortReasons[aborted], 'RUN_TIMED_OUT')).toBe(true)
    expect(done.results).toEqual({ reserve: 'r' })
    const journal = await h.durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}`)).toEqual(['step_completed:reserve', 'run_timed_out:$run', 'compensated:reserve'])
    // On the database's clock: the deadline is a second after the start, and not applied before it.
    const run = await h.store.getRun(runId)
    expect(run!.deadlineAt!.getTime() - run!.createdAt.getTime()).toBe(1000)
    expect(journal[1]!.createdAt.getTime()).toBeGreaterThanOrEqual(run!.deadlineAt!.getTime())
  })

  it('wakes a sleeping run at its deadline, before its sleep ends', async () => {
    const runId = await h.durable.start(napper, undefined, { timeout: '1s' })
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('waiting')
    const parked = await h.store.getRun(runId)
    expect(parked?.dueAt?.getTime()).toBe(parked?.deadlineAt?.getTime())
    const done = await h.durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'RUN_TIMED_OUT' })
    expect(undone).toContain('napper:book')
    expect((await h.durable.journal(runId)).map((e) => e.kind)).toEqual(['step_completed', 'timer_started', 'run_timed_out', 'compensated'])
  })

  it('times out a run waiting for a signal; a late signal is refused', async () => {
    const runId = await h.durable.start(approval, undefined, { timeout: 800 })
    const done = await h.durable.waitFor(runId, { timeout: '30s' })
    expect(done).toMatchObject({ status: 'failed', error: { code: 'RUN_TIMED_OUT' } })
    expect(undone).toContain('approval:hold')
    await expect(h.durable.signal(runId, 'approved', {})).rejects.toMatchObject({ code: 'RUN_NOT_ACTIVE' })
  })

  it('cancels the child run the parent waits for when the parent times out', async () => {
    const runId = await h.durable.start(parent, undefined, { timeout: '1s' })
    const done = await h.durable.waitFor(runId, { timeout: '30s' })
    expect(done).toMatchObject({ status: 'failed', error: { code: 'RUN_TIMED_OUT' } })
    expect(undone).toContain('parent:order')
    expect((await h.durable.journal(runId)).map((e) => e.kind)).toEqual(['step_completed', 'child_started', 'run_timed_out', 'compensated'])
    const child = (await h.durable.list({ workflowName: 'invoice' })).runs.find((run) => run.parentRunId === runId)
    expect(child).toBeDefined()
    const ended = await h.durable.waitFor(child!.id, { timeout: '30s' })
    expect(ended.status).toBe('cancelled')
    expect(ended.error?.message).toContain(`parent run "${runId}" timed out`)
  })

  it('changes nothing for a run that completes before its deadline', async () => {
    const runId = await h.durable.start(quick, undefined, { timeout: '1h' })
    const done = await h.durable.waitFor(runId, { timeout: '30s' })
    expect(done.status).toBe('completed')
    expect((await h.store.getRun(runId))?.dueAt).toBeNull()
  })

  it('keeps the deadline at the start: a later start with the same idempotency key changes nothing', async () => {
    const first = await h.durable.start(quick, undefined, { idempotencyKey: 'deadline-key', timeout: '1h' })
    const again = await h.durable.start(quick, undefined, { idempotencyKey: 'deadline-key', timeout: '1s' })
    expect(again).toBe(first)
    const run = await h.store.getRun(first)
    expect(run!.deadlineAt!.getTime() - run!.createdAt.getTime()).toBe(3_600_000)
  })

  it('starts many runs with deadlines; refuses a bad one and writes nothing', async () => {
    const [id] = await h.durable.startMany(slow, [{ timeout: '1s' }])
    expect(await h.durable.waitFor(id!, { timeout: '30s' })).toMatchObject({ status: 'failed', error: { code: 'RUN_TIMED_OUT' } })
    const before = (await h.durable.list({ workflowName: 'quick', limit: 1000 })).runs.length
    await expect(h.durable.startMany(quick, [{ timeout: '1s' }, { timeout: 'soon' as never }])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('item 1'),
    })
    expect((await h.durable.list({ workflowName: 'quick', limit: 1000 })).runs.length).toBe(before)
  })

  it('refuses a timeout that does not parse or is not above zero, and writes nothing', async () => {
    const before = (await h.durable.list({ workflowName: 'quick', limit: 1000 })).runs.length
    for (const timeout of ['soon', 0, '0s', -5, Number.NaN, Number.POSITIVE_INFINITY, '99999999999999999999d', {}, true]) {
      const refused = h.durable.start(quick, undefined, { timeout: timeout as never })
      await expect(refused, `timeout ${String(timeout)}`).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('timeout') })
    }
    await expect(h.durable.start(quick, undefined, 'soon' as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect((await h.durable.list({ workflowName: 'quick', limit: 1000 })).runs.length).toBe(before)
  })
})
