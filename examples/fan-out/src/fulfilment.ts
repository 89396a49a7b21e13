/**
 * An order is charged, then three things happen at once — a confirmation email, a text message
 * and a pick slot in the warehouse — and invoicing runs as a child workflow. Each branch retries
 * on its own; when one fails for good, the branches in flight finish, and everything that
 * completed is undone in reverse.
 */
import { defineWorkflow, NonRetryableError } from '@durable/core'

export interface Order {
  orderId: string
  amount: number
  /** The warehouse has no stock: its branch fails for good. */
  outOfStock?: boolean
}

const say = (orderId: string, text: string) => process.stdout.write(`   ${orderId.padEnd(8)} ${text}\n`)
const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** The SMS gateway is busy on every first try: the branch retries by its own policy. */
const smsTries = new Map<string, number>()

export const invoice = defineWorkflow<{ orderId: string; amount: number }>('invoice')
  .step('number', async (ctx) => `INV-${ctx.input.orderId.replace('order-', '')}`)
  .step('render', async (ctx) => {
    await work(100)
    return { pdf: `${ctx.results.number}.pdf`, total: ctx.input.amount }
  })
  .step('file', async (ctx) => {
    say(ctx.input.orderId, `invoice ${ctx.results.render.pdf} filed (child run ${ctx.runId.slice(-6)})`)
    return 'filed'
  })

export const fulfilment = defineWorkflow<Order>('fulfilment')
  .step(
    'charge',
    async (ctx) => {
      say(ctx.input.orderId, `charged ${ctx.input.amount} €`)
      return { paymentId: `pay-${ctx.input.orderId}` }
    },
    {
      compensate: async (ctx) => say(ctx.input.orderId, `refunds ${ctx.results.charge.paymentId}`),
    },
  )
  .parallel('fan-out', {
    email: {
      handler: async (ctx) => {
        await work(400)
        say(ctx.input.orderId, 'email: confirmation sent')
        return { messageId: `mail-${ctx.input.orderId}` }
      },
      compensate: async (ctx) => say(ctx.input.orderId, 'email: sends "sorry, your order was cancelled"'),
    },
    sms: {
      handler: async (ctx) => {
        const tries = (smsTries.get(ctx.runId) ?? 0) + 1
        smsTries.set(ctx.runId, tries)
        await work(150)
        if (tries === 1) {
          say(ctx.input.orderId, `sms: gateway busy (attempt ${ctx.attempt}), retried in 200 ms`)
          throw new Error('sms gateway busy')
        }
        say(ctx.input.orderId, `sms: sent (attempt ${ctx.attempt})`)
        return { sms: 'sent' }
      },
      maxAttempts: 3,
      backoff: () => '200ms',
    },
    warehouse: {
      handler: async (ctx) => {
        await work(250)
        if (ctx.input.outOfStock) throw new NonRetryableError('warehouse: out of stock')
        say(ctx.input.orderId, 'warehouse: pick slot booked')
        return { slot: 'B-12' }
      },
      compensate: async (ctx) => say(ctx.input.orderId, 'warehouse: frees the pick slot'),
    },
  })
  .child('invoice', invoice, (ctx) => ({ orderId: ctx.input.orderId, amount: ctx.input.amount }))
