/**
 * The order saga: reserve stock, charge the card, ship. Each handler stands in for a call to
 * another service; it prints what it does and appends to an effects log, so the demo can show
 * how often each one really ran.
 */
import { appendFileSync } from 'node:fs'
import { defineWorkflow, NonRetryableError, type StepContext } from '@durable/core'

export interface Order {
  orderId: string
  sku: string
  qty: number
  /** What goes wrong with this order, to show each feature. */
  trouble?: 'flaky-card' | 'slow-carrier' | 'bad-address'
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function orderWorkflow(effectsLog: string) {
  /** Wraps a handler so each try prints a line and is counted in the effects log. */
  const tracked =
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wraps the handler of any step
    <R>(label: string, handler: (ctx: StepContext<Order, any>) => Promise<R>) =>
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same context, passed on
      async (ctx: StepContext<Order, any>): Promise<R> => {
        appendFileSync(effectsLog, `${JSON.stringify({ order: ctx.input.orderId, step: label, attempt: ctx.attempt })}\n`)
        line(ctx.input.orderId, label, `… attempt ${ctx.attempt}`)
        try {
          const result = await handler(ctx)
          line(ctx.input.orderId, label, `✓ attempt ${ctx.attempt}`)
          return result
        } catch (error) {
          line(ctx.input.orderId, label, `✗ attempt ${ctx.attempt}: ${(error as Error).message}`)
          throw error
        }
      }

  return defineWorkflow<Order>('order')
    .step(
      'reserve',
      tracked('reserve', async (ctx) => {
        await pause(150)
        return { reservationId: `res-${ctx.input.orderId}`, qty: ctx.input.qty }
      }),
      { compensate: tracked('release stock', async () => pause(100)) },
    )
    .step(
      'charge',
      tracked('charge', async (ctx) => {
        await pause(200)
        if (ctx.input.trouble === 'flaky-card' && ctx.attempt < 3) throw new Error('card network timed out')
        return { paymentId: `pay-${ctx.input.orderId}`, amount: ctx.input.qty * 25 }
      }),
      { maxAttempts: 4, backoff: (n) => 300 * n, compensate: tracked('refund', async () => pause(100)) },
    )
    .step(
      'ship',
      tracked('ship', async (ctx) => {
        if (ctx.input.trouble === 'slow-carrier' && ctx.attempt === 1) {
          process.stdout.write(`@@slow-ship-started ${ctx.input.orderId}\n`)
          await pause(4000)
        }
        await pause(250)
        if (ctx.input.trouble === 'bad-address') throw new NonRetryableError('the carrier refused the address')
        return { tracking: `TRK-${ctx.input.orderId}` }
      }),
      { backoff: () => 500 },
    )
}

function line(orderId: string, step: string, text: string): void {
  process.stdout.write(`   ${orderId.padEnd(9)} ${step.padEnd(14)} ${text}\n`)
}

export const orders: Order[] = [
  { orderId: 'order-1', sku: 'kettle', qty: 1 },
  { orderId: 'order-2', sku: 'teapot', qty: 2, trouble: 'flaky-card' },
  { orderId: 'order-3', sku: 'mug', qty: 4, trouble: 'slow-carrier' },
  { orderId: 'order-4', sku: 'spoon', qty: 6 },
  { orderId: 'order-5', sku: 'tray', qty: 1, trouble: 'bad-address' },
]
