import { defineWorkflow, isDurableError } from '@durable/core'
import { testDurable, type TestDurable } from '@durable/testing'
import { afterEach, describe, expect, it } from 'vitest'

const START = new Date('2030-01-01T00:00:00Z')
const later = (ms: number) => new Date(START.getTime() + ms).toISOString()
const HOUR = 3_600_000

let kits: TestDurable[] = []
afterEach(async () => {
  await Promise.all(kits.map((t) => t.close()))
  kits = []
})

function kit(...workflows: Parameters<typeof testDurable>[0]['workflows']): TestDurable {
  const t = testDurable({ workflows, now: START })
  kits.push(t)
  return t
}

describe('testDurable', () => {
  it('fires timers of several runs in order of simulated time, each at its instant', async () => {
    const woke: Array<[string, string]> = []
    const nap = defineWorkflow<{ name: string; hours: number }>('nap')
      .sleep('rest', (ctx) => ctx.input.hours * HOUR)
      .step('wake', async (ctx) => {
        woke.push([ctx.input.name, t.clock.now().toISOString()])
      })
    const t = kit(nap)
    const ids = [await t.start(nap, { name: 'c', hours: 3 }), await t.start(nap, { name: 'a', hours: 1 }), await t.start(nap, { name: 'b', hours: 2 })]
    for (const id of ids) expect((await t.waitFor(id)).status, `run ${id}`).toBe('completed')
    expect(woke).toEqual([
      ['a', later(HOUR)],
      ['b', later(2 * HOUR)],
      ['c', later(3 * HOUR)],
    ])
  })

  it('lets concurrent waitFors take turns: the clock never moves while a step runs', async () => {
    const seen: Array<[string, string, string]> = []
    const job = defineWorkflow<{ name: string; hours: number }>('job')
      .sleep('until', (ctx) => ctx.input.hours * HOUR)
      .step('work', async (ctx) => {
        const begun = t.clock.now().toISOString()
        await new Promise((resolve) => setTimeout(resolve, 20))
        seen.push([ctx.input.name, begun, t.clock.now().toISOString()])
      })
    const t = kit(job)
    const ids = await Promise.all(['a', 'b', 'c'].map((name, i) => t.start(job, { name, hours: i + 1 })))
    const runs = await Promise.all(ids.map((id) => t.waitFor(id)))
    expect(runs.map((run) => run.status)).toEqual(['completed', 'completed', 'completed'])
    expect(seen, '[run, clock when its step began, clock when it ended]').toEqual([
      ['a', later(HOUR), later(HOUR)],
      ['b', later(2 * HOUR), later(2 * HOUR)],
      ['c', later(3 * HOUR), later(3 * HOUR)],
    ])
  })

  it('fails a signal wait at its timeout, in simulated time', async () => {
    const approval = defineWorkflow('approval').waitForSignal('approved', { timeout: '2d' })
    const t = kit(approval)
    const run = await t.waitFor(await t.start(approval))
    expect(run.status).toBe('failed')
    expect(run.error).toMatchObject({ code: 'SIGNAL_TIMEOUT', step: 'approved' })
    expect(t.clock.now().toISOString()).toBe(later(2 * 24 * HOUR))
  })

  it('retries a failing step after each backoff, with the clock where the backoff ends', async () => {
    const tries: string[] = []
    const flaky = defineWorkflow('flaky').step(
      'call',
      async () => {
        tries.push(t.clock.now().toISOString())
        if (tries.length < 3) throw new Error('try again')
        return 'ok'
      },
      { maxAttempts: 5, backoff: (failed) => `${failed * 30}s` },
    )
    const t = kit(flaky)
    const run = await t.waitFor(await t.start(flaky))
    expect(run).toMatchObject({ status: 'completed', results: { call: 'ok' }, attempts: 3 })
    expect(tries).toEqual([later(0), later(30_000), later(90_000)])
  })

  it('moves time by hand with advance(), firing only what falls due', async () => {
    const timer = defineWorkflow('timer')
      .sleep('wait', '1h')
      .step('done', async () => 'done')
    const t = kit(timer)
    const id = await t.start(timer)
    await t.advance('59m')
    expect((await t.find(id)).status, 'status after 59 minutes').toBe('waiting')
    expect(t.clock.now().toISOString()).toBe(later(59 * 60_000))
    await t.advance('1m')
    expect((await t.find(id)).status, 'status after an hour').toBe('completed')
    expect(t.clock.now().toISOString()).toBe(later(HOUR))
  })

  it('waits for a step that runs on real time before it skips any', async () => {
    const slow = defineWorkflow('slow')
      .step('work', async () => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        return t.clock.now().toISOString()
      })
      .sleep('after', '1d')
    const t = kit(slow)
    const run = await t.waitFor(await t.start(slow))
    expect(run.results.work, 'the clock while the step ran').toBe(later(0))
    expect(t.clock.now().toISOString()).toBe(later(24 * HOUR))
  })

  it('says at once when a run waits for something outside and nothing is scheduled', async () => {
    const approval = defineWorkflow('approval').waitForSignal('approved')
    const t = kit(approval)
    const id = await t.start(approval)
    const error = await t.waitFor(id).catch((e: unknown) => e)
    expect(isDurableError(error, 'WAIT_TIMEOUT'), String(error)).toBe(true)
    expect((error as Error).message).toMatch(/waits for something from outside/)
    await t.signal(id, 'approved', 'yes')
    expect(await t.waitFor(id)).toMatchObject({ status: 'completed', results: { approved: 'yes' } })
  })

  it('gives up waitFor after its timeout of simulated time', async () => {
    const long = defineWorkflow('long').sleep('wait', '10d')
    const t = kit(long)
    const id = await t.start(long)
    await expect(t.waitFor(id, { timeout: '1d' })).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' })
    expect(t.clock.now().toISOString()).toBe(later(24 * HOUR))
    expect((await t.waitFor(id)).status).toBe('completed')
  })

  it('drives parallel branches, loops and child runs through skipped time', async () => {
    const invoice = defineWorkflow<{ orderId: string }>('invoice')
      .sleep('month-end', '30d')
      .step('bill', async (ctx) => `invoice-${ctx.input.orderId}`)
    const order = defineWorkflow('order')
      .parallel('notify', { email: async () => 'sent', sms: async () => 'queued' })
      .loop('poll', async (ctx) => ctx.iteration, { until: (n) => n === 2, maxIterations: 5, delay: '10m' })
      .child('invoice', invoice, () => ({ orderId: 'o1' }))
    const t = kit(order, invoice)
    const run = await t.waitFor(await t.start(order))
    expect(run).toMatchObject({ status: 'completed', results: { notify: { email: 'sent', sms: 'queued' }, poll: 2, invoice: { bill: 'invoice-o1' } } })
    expect(t.clock.now().toISOString()).toBe(later(20 * 60_000 + 30 * 24 * HOUR))
  })

  it('has what the Durable API grew: startMany, cancelMany, prune, on simulated time', async () => {
    const task = defineWorkflow<{ n: number }>('task')
      .sleep('later', '1h')
      .step('do', async (ctx) => ctx.input.n * 2)
    const t = kit(task)
    const ids = await t.startMany(task, [{ input: { n: 1 } }, { input: { n: 2 } }, { input: { n: 3 }, idempotencyKey: 'three' }])
    expect(ids).toHaveLength(3)
    await t.settle()
    expect(await t.cancelMany({ workflowName: 'task', status: 'waiting', createdBefore: new Date(START.getTime() + 1) }, { reason: 'test' })).toEqual({ count: 3 })
    for (const id of ids) expect((await t.waitFor(id)).status, `run ${id}`).toBe('cancelled')
    await t.advance('2d')
    expect(await t.prune({ olderThan: '1d' }), 'runs pruned a day after they ended').toEqual({ count: 3 })
    expect((await t.list()).runs).toEqual([])
  })

  it('has the rest of the Durable API: list, journal, stats, cancel, retry, fork', async () => {
    let fail = true
    const order = defineWorkflow('order')
      .step('reserve', async () => 'r1', { compensate: async () => {} })
      .sleep('hold', '1h')
      .step(
        'charge',
        async () => {
          if (fail) throw new Error('declined')
          return 'paid'
        },
        { maxAttempts: 1 },
      )
    const t = kit(order)
    const id = await t.start(order, undefined, { idempotencyKey: 'o-1' })
    expect(await t.start(order, undefined, { idempotencyKey: 'o-1' }), 'a second start with the key').toBe(id)
    expect((await t.waitFor(id)).status).toBe('failed')
    expect((await t.journal(id)).map((e) => `${e.stepKey}:${e.kind}`)).toContain('reserve:compensated')
    fail = false
    await t.retry(id)
    expect((await t.waitFor(id)).status, 'status after retry').toBe('completed')
    const forked = await t.fork(id, { fromStep: 'charge' })
    expect((await t.waitFor(forked)).results).toMatchObject({ reserve: 'r1', charge: 'paid' })
    const parked = await t.start(order)
    await t.settle()
    expect((await t.find(parked)).status, 'a run in its sleep').toBe('waiting')
    await t.cancel(parked, { reason: 'changed my mind' })
    expect((await t.waitFor(parked)).status).toBe('cancelled')
    expect((await t.list({ workflowName: 'order' })).runs).toHaveLength(3)
    expect((await t.stats()).byStatus).toMatchObject({ completed: 2, cancelled: 1 })
  })
})
