/**
 * An expense claim waits for a manager's decision: it asks, sleeps, sends one reminder, then
 * waits for the `decision` signal for a while. No answer in time fails the wait with
 * `SIGNAL_TIMEOUT`, and the saga releases the budget it held.
 */
import { defineWorkflow, NonRetryableError } from '@durable/core'

export interface Expense {
  claimId: string
  amount: number
}

export interface Decision {
  approved: boolean
  by: string
}

const say = (claimId: string, text: string) => process.stdout.write(`   ${claimId.padEnd(8)} ${text}\n`)

export function expenseApproval(timings: { reminderAfter: number; decisionTimeout: number }) {
  return defineWorkflow<Expense>('expense-approval')
    .step(
      'hold-budget',
      async (ctx) => {
        say(ctx.input.claimId, `holds ${ctx.input.amount} € of the team budget`)
        return { holdId: `hold-${ctx.input.claimId}` }
      },
      {
        compensate: async (ctx) => say(ctx.input.claimId, `releases ${ctx.results['hold-budget'].holdId}`),
      },
    )
    .step('ask-manager', async (ctx) => say(ctx.input.claimId, 'asks the manager for a decision'))
    .sleep('reminder-delay', timings.reminderAfter)
    .step('remind-manager', async (ctx) => say(ctx.input.claimId, 'no answer yet: sends a reminder'))
    .waitForSignal<'decision', Decision>('decision', { timeout: timings.decisionTimeout })
    .step('pay', async (ctx) => {
      const decision = ctx.results.decision
      if (!decision.approved) throw new NonRetryableError(`rejected by ${decision.by}`)
      say(ctx.input.claimId, `paid ${ctx.input.amount} €, approved by ${decision.by}`)
      return { paid: ctx.input.amount }
    })
}
