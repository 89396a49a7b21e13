import { defineWorkflow } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const ran: string[] = []
const undone: string[] = []
const step = (name: string) => async () => {
  ran.push(name)
  return name
}
const undo = (name: string) => ({ compensate: async () => void undone.push(name) })

const delivery = defineWorkflow<{ mode: string; failAfter?: boolean }>('delivery')
  .step('pack', step('pack'), undo('pack'))
  .route('how', (ctx) => ctx.input.mode, {
    express: (b) => b.step('courier', step('courier'), undo('courier')).step('track', step('track')),
    standard: (b) => b.step('post', step('post'), undo('post')),
    pickup: (b) => b,
  })
  .step(
    'notify',
    async (ctx) => {
      ran.push('notify')
      if (ctx.input.failAfter) throw new Error('notify failed')
      return `notified (${ctx.results.how})`
    },
    { maxAttempts: 1 },
  )

describe.each(backends)('routes on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([delivery])
  })
  afterAll(async () => h.close())

  it('runs only the chosen branch, inline, then goes on after the route', async () => {
    ran.length = 0
    const runId = await h.durable.start(delivery, { mode: 'express' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(ran).toEqual(['pack', 'courier', 'track', 'notify'])
    expect(done.results).toEqual({ pack: 'pack', how: 'express', courier: 'courier', track: 'track', notify: 'notified (express)' })
    expect((await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)).toEqual([
      'step_completed:pack',
      'route_selected:how',
      'step_completed:courier',
      'step_completed:track',
      'step_completed:notify',
    ])
  })

  it('goes straight on after an empty branch', async () => {
    ran.length = 0
    const done = await h.durable.waitFor(await h.durable.start(delivery, { mode: 'pickup' }), { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(ran).toEqual(['pack', 'notify'])
  })

  it('compensates only the steps of the chosen branch', async () => {
    ran.length = 0
    undone.length = 0
    const done = await h.durable.waitFor(await h.durable.start(delivery, { mode: 'standard', failAfter: true }), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(undone).toEqual(['post', 'pack'])
  })

  it('fails with UNKNOWN_ROUTE naming the step and the key', async () => {
    ran.length = 0
    undone.length = 0
    const done = await h.durable.waitFor(await h.durable.start(delivery, { mode: 'drone' }), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'UNKNOWN_ROUTE', step: 'how' })
    expect(done.error?.message).toContain('"drone"')
    expect(undone).toEqual(['pack'])
  })

  it('refuses a step name used in two branches, at definition time', () => {
    expect(() => defineWorkflow('dup').route('r', () => 'a', { a: (b) => b.step('x', step('x')), b: (b) => b.step('x', step('x')) })).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_STEP' }),
    )
  })
})
