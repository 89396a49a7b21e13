/** Workflows whose runs the dashboard tests look at: every kind of journal entry, and some HTML. */
import { defineWorkflow, NonRetryableError } from '@durable/core'

/** A child run, started by `order`. */
export const invoice = defineWorkflow<{ orderId: string }>('invoice').step('render', async (ctx) => ({ pdf: `invoice-${ctx.input.orderId}.pdf` }))

/**
 * Reserves, charges (the first try is declined), starts an `invoice` child, waits for the
 * `approved` signal, then fails for good at `ship`: `charge` and `reserve` are compensated.
 */
export const order = defineWorkflow<{ orderId: string }>('order')
  .step('reserve', async (ctx) => ({ reservation: `res-${ctx.input.orderId}` }), { compensate: async () => {} })
  .step(
    'charge',
    async (ctx) => {
      if (ctx.attempt === 1) throw Object.assign(new Error('card declined, try again'), { code: 'CARD_DECLINED' })
      return { payment: `pay-${ctx.input.orderId}` }
    },
    { backoff: () => '50ms', compensate: async () => {} },
  )
  .child('invoice', invoice, (ctx) => ({ orderId: ctx.input.orderId }))
  .waitForSignal<'approved', { by: string }>('approved', { timeout: '7d' })
  .step('ship', async () => {
    throw new NonRetryableError('the carrier refused the parcel')
  })

/** Books, then sleeps a week: a run to cancel. */
export const napper = defineWorkflow<{ guest: string }>('napper')
  .step('book', async (ctx) => ({ room: `room-${ctx.input.guest}` }), { compensate: async () => {} })
  .sleep('nap', '7d')
  .step('checkout', async () => 'never reached')

/** Waits a week at most for `knock`, then for `enter`: an `enter` sent early is kept until then. */
export const doorman = defineWorkflow<{ guest: string }>('doorman')
  .waitForSignal('knock', { timeout: '7d' })
  .waitForSignal('enter')
  .step('greet', async (ctx) => `welcome, ${ctx.input.guest}`)

/** What a visitor typed, as HTML that must stay text: in the input, a result and an error. */
export const XSS_NOTE = '<script>alert(1)</script>'
export const XSS_IMAGE = '<img src=x onerror="window.__xss=1;alert(2)">'

/** Echoes its input, then fails with HTML in the error message. */
export const guestbook = defineWorkflow<{ note: string }>('guestbook')
  .step('sign', async (ctx) => ({ said: ctx.input.note }))
  .step('moderate', async () => {
    throw new NonRetryableError(`refused ${XSS_IMAGE}`)
  })
