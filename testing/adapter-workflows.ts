/** Workflows the adapters' end-to-end tests run on their engine: a flaky step, a saga, and an outage. */
import { defineWorkflow, NonRetryableError } from '@durable/core'

/** What the handlers did, in order. */
export const log: string[] = []

/** Its step fails `failTimes` times, then succeeds. */
export const flaky = defineWorkflow<{ failTimes: number }>('flaky').step(
  'call',
  async (ctx) => {
    log.push(`call:${ctx.attempt}`)
    if (ctx.attempt <= ctx.input.failTimes) throw new Error(`boom ${ctx.attempt}`)
    return { ok: ctx.attempt }
  },
  { maxAttempts: 3, backoff: () => '50ms' },
)

/** Reserves and charges, then fails for good: both steps are compensated, in reverse. */
export const saga = defineWorkflow('saga')
  .step('reserve', async () => ({ id: 'r1' }), { compensate: async (ctx) => void log.push(`release:${ctx.results.reserve.id}`) })
  .step('charge', async () => ({ paymentId: 'p1' }), { compensate: async (ctx) => void log.push(`refund:${ctx.results.charge.paymentId}`) })
  .step('ship', async () => {
    throw new NonRetryableError('address is invalid')
  })

let enter = () => {}
let gate = Promise.resolve()

/**
 * The first attempt of step `during` waits until the test calls `outage.release()` (the test
 * takes the queue engine away meanwhile), then fails; its retry runs 200 ms later.
 */
export const outage = {
  /** Resolves once the armed run's step `during` is running. */
  entered: Promise.resolve(),
  release: () => {},
  /** Arms the trap for the next run. */
  arm(): void {
    this.entered = new Promise<void>((resolve) => (enter = resolve))
    gate = new Promise<void>((resolve) => (this.release = resolve))
  },
  workflow: defineWorkflow('outage')
    .step('before', async () => 'a')
    .step(
      'during',
      async (ctx) => {
        if (ctx.attempt === 1) {
          enter()
          await gate
          throw new Error('downstream hiccup')
        }
        return 'b'
      },
      { maxAttempts: 2, backoff: () => '200ms' },
    )
    .step('after', async () => 'c'),
}

/** The journal the outage workflow must end with: nothing lost, nothing run twice. */
export const outageJournal = ['step_completed:before:1', 'step_failed:during:1', 'step_completed:during:2', 'step_completed:after:1']

/** The saga's journal: three steps, then its two compensations in reverse. */
export const sagaJournal = ['step_completed:reserve', 'step_completed:charge', 'step_failed:ship', 'compensated:charge', 'compensated:reserve']
