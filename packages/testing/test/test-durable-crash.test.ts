import { defineWorkflow, isDurableError } from '@durable/core'
import { testDurable, type TestDurable, type TestDurableOptions } from '@durable/testing'
import { afterEach, describe, expect, it } from 'vitest'

const START = new Date('2030-01-01T00:00:00Z')
const later = (ms: number) => new Date(START.getTime() + ms).toISOString()

let kits: TestDurable[] = []
afterEach(async () => {
  await Promise.all(kits.map((t) => t.close()))
  kits = []
})

function kit(options: Omit<TestDurableOptions, 'now'>): TestDurable {
  const t = testDurable({ now: START, ...options })
  kits.push(t)
  return t
}

describe('testDurable: crashes, stalls and duplicate jobs', () => {
  it('runs a step again once the lease of the worker that crashed in it expires, and records only the second try', async () => {
    const tries: Array<[number, string]> = []
    const pay = defineWorkflow('pay')
      .step('charge', async (ctx) => {
        tries.push([ctx.attempt, t.clock.now().toISOString()])
        if (ctx.attempt === 1) await t.crashWorker(ctx.runId)
        return `paid on try ${ctx.attempt}`
      })
      .step('receipt', async (ctx) => `receipt for ${String(ctx.results.charge)}`)
    const t = kit({ workflows: [pay], leaseMs: 10_000 })
    const run = await t.waitFor(await t.start(pay))
    expect(run).toMatchObject({ status: 'completed', results: { charge: 'paid on try 2', receipt: 'receipt for paid on try 2' } })
    // The lost try counts as a failed one: the second comes at lease expiry plus the default 2 s backoff.
    expect(tries).toEqual([
      [1, later(0)],
      [2, later(12_000)],
    ])
    const journal = await t.journal(run.id)
    expect(journal.map((e) => [e.stepKey, e.kind, e.attempt, e.error?.code ?? null])).toEqual([
      ['charge', 'step_failed', 1, 'LEASE_EXPIRED'],
      ['charge', 'step_completed', 2, null],
      ['receipt', 'step_completed', 1, null],
    ])
  })

  it('refuses the late result of a stalled worker once its run changed hands', async () => {
    const warnings: string[] = []
    const logger = { info: () => {}, warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), error: () => {} }
    let stalled: { resume(): void } | undefined
    const pay = defineWorkflow('pay').step('charge', async (ctx) => {
      if (ctx.attempt === 1) stalled = await t.pauseWorker(ctx.runId)
      return `paid on try ${ctx.attempt}`
    })
    const t = kit({ workflows: [pay], logger })
    const run = await t.waitFor(await t.start(pay))
    expect(run.results).toEqual({ charge: 'paid on try 2' })
    stalled!.resume()
    // The stalled worker commits its try now, late: the store must refuse it.
    for (let i = 0; i < 100 && !warnings.some((w) => /lost the lease/.test(w)); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(warnings.filter((w) => /lost the lease/.test(w))).toHaveLength(1)
    await t.settle()
    expect((await t.find(run.id)).results).toEqual({ charge: 'paid on try 2' })
    expect((await t.journal(run.id)).filter((e) => e.kind === 'step_completed').map((e) => e.attempt)).toEqual([2])
  })

  it('lets a stalled worker that resumes before its lease expires go on with the run', async () => {
    let stalled: { resume(): void } | undefined
    const pay = defineWorkflow('pay')
      .step('charge', async (ctx) => {
        if (ctx.attempt === 1) stalled = await t.pauseWorker(ctx.runId)
        return `paid on try ${ctx.attempt}`
      })
      .step('receipt', async () => 'sent')
    const t = kit({ workflows: [pay] })
    const id = await t.start(pay)
    await t.settle()
    expect((await t.find(id)).status, 'while its worker stalls').toBe('running')
    stalled!.resume()
    expect(await t.waitFor(id)).toMatchObject({ status: 'completed', results: { charge: 'paid on try 1', receipt: 'sent' } })
    expect((await t.journal(id)).map((e) => [e.stepKey, e.kind, e.attempt])).toEqual([
      ['charge', 'step_completed', 1],
      ['receipt', 'step_completed', 1],
    ])
    expect(t.clock.now().toISOString(), 'no lease expired').toBe(later(0))
  })

  it('takes duplicate jobs, for a run running on another worker or ended, as harmless', async () => {
    let calls = 0
    const once = defineWorkflow('once').step('work', async (ctx) => {
      calls++
      await Promise.all([t.queue.dispatch({ runId: ctx.runId }), t.queue.dispatch({ runId: ctx.runId })])
      await new Promise((resolve) => setTimeout(resolve, 20)) // the duplicates reach the other worker meanwhile
      return calls
    })
    const t = kit({ workflows: [once], workers: 2 })
    const run = await t.waitFor(await t.start(once))
    expect(run).toMatchObject({ status: 'completed', results: { work: 1 } })
    await t.queue.dispatch({ runId: run.id })
    await t.settle()
    expect(calls).toBe(1)
    expect((await t.journal(run.id)).map((e) => e.kind)).toEqual(['step_completed'])
  })

  it('refuses a bad worker count and a run it does not know', async () => {
    const nothing = defineWorkflow('nothing').step('x', async () => 1)
    for (const workers of [0, 1.5, -1]) {
      expect(() => testDurable({ workflows: [nothing], workers }), `workers: ${workers}`).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
    }
    const t = kit({ workflows: [nothing] })
    const error = await t.crashWorker('no-such-run').catch((e: unknown) => e)
    expect(isDurableError(error, 'RUN_NOT_FOUND'), String(error)).toBe(true)
    await expect(t.pauseWorker(42 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })
})
