import { defineWorkflow } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const calls: string[] = []

const order = defineWorkflow<{ sku: string; qty: number }>('order')
  .step('reserve', async (ctx) => {
    calls.push(`reserve:${ctx.attempt}`)
    return { reservationId: `res-${ctx.input.sku}`, qty: ctx.input.qty }
  })
  .step('charge', async (ctx) => {
    calls.push('charge')
    return { paymentId: `pay-${ctx.results.reserve.reservationId}`, amount: ctx.results.reserve.qty * 10 }
  })
  .step('ship', async (ctx) => ({ tracking: `${ctx.runId}:${ctx.workflowName}:${ctx.stepName}` }))

let release: () => void = () => {}
const gated = defineWorkflow('gated').step('wait-for-gate', () => new Promise<string>((resolve) => (release = () => resolve('open'))))
const nothing = defineWorkflow('nothing')
const voidSteps = defineWorkflow('void-steps')
  .step('a', async () => {})
  .step('b', () => undefined)

describe.each(backends)('a sequential run on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([order, nothing, voidSteps, gated])
  })
  afterAll(async () => h.close())

  it('runs every step once, in order, and completes with the results map', async () => {
    calls.length = 0
    const runId = await h.durable.start(order, { sku: 'A1', qty: 2 })
    expect(runId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({
      reserve: { reservationId: 'res-A1', qty: 2 },
      charge: { paymentId: 'pay-res-A1', amount: 20 },
      ship: { tracking: `${runId}:order:ship` },
    })
    expect(done.result).toEqual(done.results)
    expect(done.error).toBeNull()
    expect(done.attempts).toBe(3)
    expect(done.input).toEqual({ sku: 'A1', qty: 2 })
    expect(done.parentRunId).toBeNull()
    expect(calls).toEqual(['reserve:1', 'charge'])
  })

  it('journals each step once with a growing sequence number', async () => {
    const runId = await h.durable.start(order, { sku: 'B2', qty: 1 })
    await h.durable.waitFor(runId, { timeout: '20s' })
    const journal = await h.durable.journal(runId)
    expect(journal.map((e) => [e.seq, e.stepKey, e.kind, e.attempt])).toEqual([
      [1, 'reserve', 'step_completed', 1],
      [2, 'charge', 'step_completed', 1],
      [3, 'ship', 'step_completed', 1],
    ])
    expect(journal[0]!.result).toEqual({ reservationId: 'res-B2', qty: 1 })
    expect(journal[0]!.createdAt).toBeInstanceOf(Date)
  })

  it('completes a workflow with no steps, and stores void results as null', async () => {
    const empty = await h.durable.waitFor(await h.durable.start('nothing'), { timeout: '20s' })
    expect(empty.status).toBe('completed')
    expect(empty.results).toEqual({})
    const voids = await h.durable.waitFor(await h.durable.start(voidSteps), { timeout: '20s' })
    expect(voids.results).toEqual({ a: null, b: null })
  })

  it('shows a run as running while its first step runs', async () => {
    const runId = await h.durable.start(gated)
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('running')
    release()
    expect((await h.durable.waitFor(runId, { timeout: '20s' })).results).toEqual({ 'wait-for-gate': 'open' })
  })

  it('lists runs newest first with filters and a cursor', async () => {
    const ids = [] as string[]
    for (let i = 0; i < 5; i++) ids.push(await h.durable.start(order, { sku: `L${i}`, qty: 1 }))
    await Promise.all(ids.map((id) => h.durable.waitFor(id, { timeout: '20s' })))
    const first = await h.durable.list({ workflowName: 'order', limit: 3 })
    expect(first.runs).toHaveLength(3)
    expect(first.nextCursor).toBeDefined()
    const second = await h.durable.list({ workflowName: 'order', limit: 3, cursor: first.nextCursor })
    const seen = [...first.runs, ...second.runs].map((r) => r.id)
    expect(seen.slice(0, 5)).toEqual([...ids].reverse())
    expect(new Set(seen).size).toBe(seen.length)
    const completed = await h.durable.list({ status: 'completed', limit: 1000 })
    expect(completed.runs.every((r) => r.status === 'completed')).toBe(true)
    expect((await h.durable.list({ status: 'failed' })).runs).toEqual([])
  })
})
