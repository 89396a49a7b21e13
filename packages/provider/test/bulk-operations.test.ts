import { defineWorkflow, NonRetryableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const echo = defineWorkflow<{ n: number }>('echo').step('double', async (ctx) => ctx.input.n * 2)
const waiter = defineWorkflow('waiter')
  .step('ask', async () => 'asked')
  .waitForSignal('go')
const otherWaiter = defineWorkflow('other-waiter').waitForSignal('go')

const failedOnce = new Set<string>()
const doomed = defineWorkflow('doomed').step('once', async (ctx) => {
  if (!failedOnce.has(ctx.runId)) {
    failedOnce.add(ctx.runId)
    throw new NonRetryableError('not this time')
  }
  return 'second time'
})

describe.each(backends)('operating many runs on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([echo, waiter, otherWaiter, doomed])
  })
  afterAll(async () => h.close())

  const total = async () => (await h.durable.stats()).total

  it('startMany starts every item in one call, ids in order; a repeated idempotency key gets the first run', async () => {
    const items = Array.from({ length: 20 }, (_, n) => ({ input: { n }, ...(n === 7 || n === 12 ? { idempotencyKey: 'bulk-7' } : {}) }))
    const ids = await h.durable.startMany(echo, items)
    expect(ids).toHaveLength(20)
    expect(ids[12]).toBe(ids[7])
    expect(new Set(ids).size).toBe(19)
    const done = await Promise.all(ids.map((id) => h.durable.waitFor(id, { timeout: '20s' })))
    expect(done.map((run) => run.input)).toEqual(items.map((item, n) => (n === 12 ? { n: 7 } : item.input)))
    expect(done.map((run) => run.results.double)).toEqual(items.map((_, n) => (n === 12 ? 14 : n * 2)))
    expect(await h.durable.startMany('echo', [])).toEqual([])
  })

  it('startMany refuses the whole call for one bad item and writes nothing', async () => {
    const before = await total()
    const items = Array.from({ length: 10 }, (_, n) => ({ input: { n } as { n: number } }))
    await expect(h.durable.startMany(echo, [...items, { input: { n: 10n } as never }])).rejects.toMatchObject({ code: 'NOT_SERIALIZABLE' })
    await expect(h.durable.startMany(echo, [...items, { input: { n: 1 }, priority: 1.5 }])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('item 10'),
    })
    await expect(h.durable.startMany(echo, [...items, { input: { n: 1 }, idempotencyKey: '' }])).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(h.durable.startMany(echo, 'nope' as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    await expect(h.durable.startMany('unknown', items)).rejects.toMatchObject({ code: 'WORKFLOW_NOT_REGISTERED' })
    expect(await total()).toBe(before)
  })

  it('cancelMany cancels the active runs that match and nothing else', async () => {
    const waiting = await h.durable.startMany(
      waiter,
      Array.from({ length: 6 }, () => ({})),
    )
    const others = await h.durable.startMany(otherWaiter, [{}, {}])
    for (const id of [...waiting, ...others]) await expect.poll(async () => (await h.durable.find(id)).status, { timeout: 10_000 }).toBe('waiting')
    expect(await h.durable.cancelMany({ workflowName: 'waiter' }, { reason: 'bulk', dryRun: true })).toEqual({ count: 6 })
    await expect(h.durable.cancelMany({ workflowName: 'waiter' }, { dryRun: 'yes' as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    for (const id of waiting) expect((await h.durable.find(id)).status, 'after a dry run').toBe('waiting')
    expect(await h.durable.cancelMany({ workflowName: 'waiter' }, { reason: 'bulk' })).toEqual({ count: 6 })
    for (const id of waiting)
      expect(await h.durable.waitFor(id, { timeout: '20s' })).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED', message: 'run cancelled: bulk' } })
    for (const id of others) expect((await h.durable.find(id)).status).toBe('waiting')
    expect(await h.durable.cancelMany({ workflowName: 'waiter' })).toEqual({ count: 0 })
    await expect(h.durable.cancelMany({ status: 'sleeping' as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(await h.durable.cancelMany({ workflowName: 'other-waiter', status: 'waiting' })).toEqual({ count: 2 })
  })

  it('retryMany retries the failed runs created before a time, and only those', async () => {
    const early = await h.durable.startMany(doomed, [{}, {}])
    for (const id of early) expect((await h.durable.waitFor(id, { timeout: '20s' })).status).toBe('failed')
    const cut = new Date()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const late = await h.durable.startMany(doomed, [{}, {}])
    for (const id of late) expect((await h.durable.waitFor(id, { timeout: '20s' })).status).toBe('failed')
    expect(await h.durable.retryMany({ workflowName: 'doomed', createdBefore: cut }, { dryRun: true })).toEqual({ count: 2 })
    expect(await h.durable.retryMany({ workflowName: 'doomed' }, { dryRun: true })).toEqual({ count: 4 })
    for (const id of early) expect((await h.durable.find(id)).status, 'after a dry run').toBe('failed')
    expect(await h.durable.retryMany({ workflowName: 'doomed', createdBefore: cut })).toEqual({ count: 2 })
    for (const id of early) expect(await h.durable.waitFor(id, { timeout: '20s' })).toMatchObject({ status: 'completed', results: { once: 'second time' } })
    for (const id of late) expect((await h.durable.find(id)).status).toBe('failed')
    await expect(h.durable.retryMany({ createdBefore: new Date('nope') })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
