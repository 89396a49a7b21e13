import { defineWorkflow, NonRetryableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const invoice = defineWorkflow<{ orderId: string; fail?: boolean; approve?: boolean }>('invoice')
  .step('number', async (ctx) => `INV-${ctx.input.orderId}`)
  .route('review', (ctx) => (ctx.input.approve ? 'manual' : 'auto'), { manual: (b) => b.waitForSignal('approved'), auto: (b) => b })
  .step('send', async (ctx) => {
    if (ctx.input.fail) throw new NonRetryableError('mail server refused')
    return `sent ${ctx.results.number}`
  })

let refunds = 0
const order = defineWorkflow<{ orderId: string; failInvoice?: boolean; approve?: boolean }>('order-with-invoice')
  .step('charge', async () => 'charged', { compensate: async () => void refunds++ })
  .child('invoice', invoice, (ctx) => ({ orderId: ctx.input.orderId, fail: ctx.input.failInvoice ?? false, approve: ctx.input.approve ?? false }))
  .step('done', async (ctx) => `done with ${ctx.results.invoice.number}`)

describe.each(backends)('child workflows on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([order, invoice])
  })
  afterAll(async () => h.close())

  it('starts the child with parentRunId, waits for it, and takes its results', async () => {
    const runId = await h.durable.start(order, { orderId: 'o-1' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.error).toBeNull()
    expect(done.status).toBe('completed')
    expect(done.results.invoice).toEqual({ number: 'INV-o-1', review: 'auto', send: 'sent INV-o-1' })
    expect(done.results.done).toBe('done with INV-o-1')
    const journal = await h.durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}`)).toEqual(['step_completed:charge', 'child_started:invoice', 'child_completed:invoice', 'step_completed:done'])
    const childId = (journal[1]!.result as { runId: string }).runId
    const child = await h.durable.find(childId)
    expect(child).toMatchObject({ workflowName: 'invoice', parentRunId: runId, status: 'completed' })
  })

  it('fails the parent step when the child fails, and compensates the parent', async () => {
    const before = refunds
    const done = await h.durable.waitFor(await h.durable.start(order, { orderId: 'o-2', failInvoice: true }), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ step: 'invoice', code: 'NON_RETRYABLE' })
    expect(done.error?.message).toContain('mail server refused')
    expect(refunds - before).toBe(1)
  })

  it('cancelling the parent while it waits cancels the child too, and compensates the parent', async () => {
    const before = refunds
    const runId = await h.durable.start(order, { orderId: 'o-3', approve: true })
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('waiting')
    const started = (await h.durable.journal(runId)).find((e) => e.kind === 'child_started')!
    const childId = (started.result as { runId: string }).runId
    await expect.poll(async () => (await h.durable.find(childId)).status, { timeout: 10_000 }).toBe('waiting')
    await h.durable.cancel(runId, { reason: 'order withdrawn' })
    expect((await h.durable.waitFor(runId, { timeout: '20s' })).status).toBe('cancelled')
    const child = await h.durable.waitFor(childId, { timeout: '20s' })
    expect(child.status).toBe('cancelled')
    expect(child.error?.message).toBe(`run cancelled: parent run "${runId}" was cancelled: order withdrawn`)
    expect(refunds - before).toBe(1)
  })
})
