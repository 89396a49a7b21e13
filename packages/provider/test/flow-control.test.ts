import { defineWorkflow, isDurableError } from '@durable/core'
import { afterEach, describe, expect, it } from 'vitest'
import { postgresHarness, type Harness } from './harness.ts'

describe('flow control', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('claims a high-priority run started behind a backlog of low ones within the next claim', async () => {
    const started: string[] = []
    const work = defineWorkflow<{ name: string }>('prioritized').step('work', async (ctx) => {
      started.push(ctx.input.name)
      await new Promise((r) => setTimeout(r, 40))
      return ctx.input.name
    })
    h = await postgresHarness([work], { worker: { concurrency: 1, reconcileIntervalMs: 300 } })
    await h.durable.startMany(
      work,
      Array.from({ length: 20 }, (_, i) => ({ input: { name: `low-${i}` } })),
    )
    while (started.length < 3) await new Promise((r) => setTimeout(r, 10))
    const before = started.length
    const high = await h.durable.start(work, { name: 'high' }, { priority: 10 })
    expect((await h.durable.waitFor(high, { timeout: '30s' })).status).toBe('completed')
    const position = started.indexOf('high')
    // At most the one low run whose claim was under way when the high one was started.
    expect(position - before, 'low runs that began after the high one was started').toBeLessThanOrEqual(1)
    expect(started.length, 'the backlog was still there').toBeLessThan(20)
  }, 60_000)

  it('debounces starts of one key within the delay into one run with the last input; wider apart, separate runs', async () => {
    const inputs: number[] = []
    const wf = defineWorkflow<{ n: number }>('debounced').step('work', async (ctx) => (inputs.push(ctx.input.n), ctx.input.n))
    h = await postgresHarness([wf])
    const ids: string[] = []
    for (let n = 1; n <= 5; n++) ids.push(await h.durable.start(wf, { n }, { debounce: { key: 'tenant-7', delay: '700ms' } }))
    expect(new Set(ids).size, 'every start returned the same run').toBe(1)
    const done = await h.durable.waitFor(ids[0]!, { timeout: '30s' })
    expect(done).toMatchObject({ status: 'completed', input: { n: 5 }, results: { work: 5 } })
    expect(inputs, 'one run, with the last input').toEqual([5])

    const first = await h.durable.start(wf, { n: 6 }, { debounce: { key: 'tenant-7', delay: '300ms' } })
    await new Promise((r) => setTimeout(r, 600))
    const second = await h.durable.start(wf, { n: 7 }, { debounce: { key: 'tenant-7', delay: '300ms' } })
    expect(second, 'a start more than delay after the last').not.toBe(first)
    await h.durable.waitFor(first, { timeout: '30s' })
    await h.durable.waitFor(second, { timeout: '30s' })
    expect(inputs.slice(1).sort(), 'two runs').toEqual([6, 7])
  }, 60_000)

  it('collapses a burst of 50 starts of one key, a few ms apart, into one run with the last input', async () => {
    const inputs: number[] = []
    const wf = defineWorkflow<{ n: number }>('burst').step('work', async (ctx) => (inputs.push(ctx.input.n), ctx.input.n))
    h = await postgresHarness([wf])
    const ids: string[] = []
    const began = Date.now()
    for (let n = 1; n <= 50; n++) {
      ids.push(await h.durable.start(wf, { n }, { debounce: { key: 'doc-9', delay: '3s' } }))
      await new Promise((r) => setTimeout(r, 4))
    }
    const burstMs = Date.now() - began
    expect(new Set(ids).size, `every start of the ${burstMs} ms burst returned the same run`).toBe(1)
    const done = await h.durable.waitFor(ids[0]!, { timeout: '30s' })
    expect(done).toMatchObject({ status: 'completed', input: { n: 50 }, results: { work: 50 } })
    expect(inputs, 'one run, with the last input').toEqual([50])
    expect((await h.durable.list({ workflowName: 'burst' })).runs).toHaveLength(1)
  }, 60_000)

  it('refuses bad flow options at definition time with INVALID_DEFINITION', () => {
    const bad = [
      { concurrency: { limit: 0 } },
      { concurrency: { limit: 1.5 } },
      { concurrency: { limit: 2, key: 'tenant' } },
      { rateLimit: { limit: -1, period: '1s' } },
      { rateLimit: { limit: 5, period: 'soon' } },
      { rateLimit: { limit: 5, period: 0 } },
      { rateLimit: { limit: 5, period: '1s', key: 42 } },
    ]
    for (const options of bad) {
      expect(() => defineWorkflow('bad', options as never), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
    }
  })

  it('refuses a start whose key function throws or returns no string, or with a bad priority or debounce, with INVALID_INPUT and writes nothing', async () => {
    const wf = defineWorkflow<{ tenant?: unknown }>('keyed', {
      concurrency: { limit: 1, key: (input) => input.tenant as string },
      rateLimit: {
        limit: 5,
        period: '1s',
        key: () => {
          throw new Error('no tenant')
        },
      },
    }).step('a', async () => 1)
    const plain = defineWorkflow<{ tenant?: unknown }>('plain').step('a', async () => 1)
    h = await postgresHarness([wf, plain], { worker: false })
    const refusals: Array<() => Promise<unknown>> = [
      () => h!.durable.start(wf, { tenant: 't1' }),
      () => h!.durable.start(wf, { tenant: 7 }),
      () => h!.durable.startMany(wf, [{ input: { tenant: 't1' } }]),
      () => h!.durable.start(plain, {}, { priority: 1.5 }),
      () => h!.durable.start(plain, {}, { priority: '1' as never }),
      () => h!.durable.start(plain, {}, { debounce: { key: '', delay: '1s' } }),
      () => h!.durable.start(plain, {}, { debounce: { key: 'k', delay: 'later' as never } }),
      () => h!.durable.start(plain, {}, { debounce: { key: 'k', delay: '1s' }, idempotencyKey: 'i' }),
    ]
    for (const [i, refuse] of refusals.entries()) {
      const error = await refuse().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isDurableError(error, 'INVALID_INPUT'), `refusal ${i}: ${String(error)}`).toBe(true)
    }
    expect((await h.durable.list()).runs, 'nothing was written').toEqual([])
  })
})
