// The example of packages/testing/README.md, as it stands there: keep the two the same.
import { defineWorkflow } from '@durable/core'
import { testDurable } from '@durable/testing'
import { afterAll, expect, it } from 'vitest'

const released: string[] = []

const order = defineWorkflow<{ orderId: string }>('order')
  .step('reserve', async (ctx) => ({ reservation: `r-${ctx.input.orderId}` }), {
    compensate: async (ctx) => {
      released.push(ctx.results.reserve.reservation)
    },
  })
  .sleep('cool-off', '7d')
  .waitForSignal('approval', { timeout: '30d' })
  .step(
    'charge',
    async () => {
      throw new Error('card declined')
    },
    { maxAttempts: 3, backoff: () => '30s' },
  )

const t = testDurable({ workflows: [order], now: new Date('2030-01-01T00:00:00Z') })
afterAll(() => t.close())

it('sleeps 7 days, takes the approval, fails to charge and releases the stock', async () => {
  const id = await t.start(order, { orderId: 'o1' })
  await t.signal(id, 'approval', { by: 'ada' }) // kept until the run waits for it

  const run = await t.waitFor(id) // the 7 days and both 30 s backoffs are skipped

  expect(run.status).toBe('failed')
  expect(run.error).toMatchObject({ step: 'charge', message: 'card declined' })
  expect(run.results.approval).toEqual({ by: 'ada' })
  expect(released).toEqual(['r-o1']) // the compensation ran
  expect(t.clock.now().toISOString()).toBe('2030-01-08T00:01:00.000Z') // 7 days and 2 × 30 s later
})
