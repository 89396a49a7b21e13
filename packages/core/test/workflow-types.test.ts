/**
 * Type tests: they fail under `npx tsc -p tsconfig.test.json` (root), not at run time. Each
 * handler is also called once with a stand-in context, so the checks inside it really run.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import { defineWorkflow, type StepContext, type StepDefinition, type Workflow, type WorkflowInput, type WorkflowResults } from '@durable/core'

/** Calls step `index` of `workflow` with the given input and results, as a runtime would. */
async function runStep(workflow: Workflow, index: number, input: unknown, results: Record<string, unknown>): Promise<unknown> {
  const step = workflow.steps[index] as StepDefinition
  const ctx: StepContext = {
    input,
    results,
    runId: 'r_1',
    workflowName: workflow.name,
    stepName: step.name,
    attempt: 1,
    signal: new AbortController().signal,
  }
  return step.handler(ctx)
}

describe('workflow types', () => {
  it('types an earlier step’s result inside a later step', async () => {
    const workflow = defineWorkflow('order')
      .step('reserve', async () => ({ id: 'r1' }))
      .step('charge', (ctx) => {
        expectTypeOf(ctx.results.reserve).toEqualTypeOf<{ id: string }>()
        expectTypeOf(ctx.results.reserve.id).toEqualTypeOf<string>()
        return ctx.results.reserve.id.toUpperCase()
      })
    await expect(runStep(workflow, 1, undefined, { reserve: { id: 'r1' } })).resolves.toBe('R1')
  })

  it('types ctx.input from the generic of defineWorkflow', async () => {
    const workflow = defineWorkflow<{ sku: string; qty: number }>('order').step('reserve', (ctx) => {
      expectTypeOf(ctx.input).toEqualTypeOf<{ sku: string; qty: number }>()
      return `${ctx.input.sku}x${ctx.input.qty}`
    })
    expectTypeOf<WorkflowInput<typeof workflow>>().toEqualTypeOf<{ sku: string; qty: number }>()
    await expect(runStep(workflow, 0, { sku: 'A1', qty: 2 }, {})).resolves.toBe('A1x2')
  })

  it('gives an input of null (undefined, as stored) when no generic is given', () => {
    const workflow = defineWorkflow('plain').step('only', (ctx) => {
      expectTypeOf(ctx.input).toEqualTypeOf<null>()
      return 1
    })
    expectTypeOf<WorkflowInput<typeof workflow>>().toEqualTypeOf<undefined>()
  })

  it('accumulates results across three steps, unwrapping promises', async () => {
    const workflow = defineWorkflow<{ userId: string }>('signup')
      .step('create', async (ctx) => ({ accountId: `acc-${ctx.input.userId}` }))
      .step('count', () => 3)
      .step('welcome', async (ctx) => {
        expectTypeOf(ctx.results.create.accountId).toEqualTypeOf<string>()
        expectTypeOf(ctx.results.count).toEqualTypeOf<number>()
        expectTypeOf<keyof typeof ctx.results>().toEqualTypeOf<'create' | 'count'>()
        return { sent: ctx.results.count > 0 }
      })
    expectTypeOf<WorkflowResults<typeof workflow>['create']>().toEqualTypeOf<{ accountId: string }>()
    expectTypeOf<WorkflowResults<typeof workflow>['count']>().toEqualTypeOf<number>()
    expectTypeOf<WorkflowResults<typeof workflow>['welcome']>().toEqualTypeOf<{ sent: boolean }>()
    await expect(runStep(workflow, 2, { userId: 'u' }, { create: { accountId: 'acc-u' }, count: 3 })).resolves.toEqual({ sent: true })
  })

  it('lets a compensator see its own step’s result and the earlier ones', async () => {
    let released: string | undefined
    const workflow = defineWorkflow<{ sku: string }>('order')
      .step('quote', () => 9.5)
      .step('reserve', async () => ({ id: 'r1' }), {
        compensate: (ctx) => {
          expectTypeOf(ctx.results.reserve.id).toEqualTypeOf<string>()
          expectTypeOf(ctx.results.quote).toEqualTypeOf<number>()
          expectTypeOf(ctx.input.sku).toEqualTypeOf<string>()
          released = ctx.results.reserve.id
        },
      })
      .step('charge', () => null, {
        compensate: {
          handler: (ctx) => {
            expectTypeOf(ctx.results.charge).toEqualTypeOf<null>()
          },
          maxAttempts: 5,
        },
      })
    const compensator = workflow.steps[1]!.compensation!.handler
    await compensator({
      input: { sku: 'A1' },
      results: { quote: 9.5, reserve: { id: 'r1' } },
      runId: 'r',
      workflowName: 'order',
      stepName: 'reserve',
      attempt: 1,
      signal: new AbortController().signal,
    })
    expect(released).toBe('r1')
  })

  it('refuses, at compile time, a result of a step that is not defined yet', () => {
    defineWorkflow('order')
      .step('reserve', (ctx) => {
        // @ts-expect-error — 'charge' comes later, so it has no result here
        return ctx.results.charge
      })
      .step('charge', (ctx) => {
        // @ts-expect-error — no step is named 'refund'
        return ctx.results.refund
      })
    defineWorkflow('order').step('reserve', () => 1, {
      compensate: (ctx) => {
        // @ts-expect-error — a compensator sees no step after its own
        return ctx.results.charge
      },
    })
  })

  it('refuses, at compile time, option values of the wrong type', () => {
    const noop = () => null
    // @ts-expect-error — maxAttempts is a number
    expect(() => defineWorkflow('w').step('a', noop, { maxAttempts: '3' })).toThrow()
    // @ts-expect-error — 'soon' is not a Duration
    expect(() => defineWorkflow('w').step('a', noop, { timeout: 'soon' })).toThrow()
    // @ts-expect-error — a backoff is a function of the failed attempt
    expect(() => defineWorkflow('w').step('a', noop, { backoff: '2s' })).toThrow()
  })

  it('types the rest of the step context', () => {
    defineWorkflow('w').step('a', (ctx) => {
      expectTypeOf(ctx.runId).toEqualTypeOf<string>()
      expectTypeOf(ctx.workflowName).toEqualTypeOf<string>()
      expectTypeOf(ctx.stepName).toEqualTypeOf<string>()
      expectTypeOf(ctx.attempt).toEqualTypeOf<number>()
      expectTypeOf(ctx.iteration).toEqualTypeOf<number | undefined>()
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
      return null
    })
  })

  it('types ctx.tx as the Tx given to defineWorkflow, whichever store types are compiled along', () => {
    interface LedgerTx {
      insert(row: { account: string }): Promise<void>
    }
    defineWorkflow<{ account: string }, LedgerTx>('ledger')
      .step(
        'write',
        async (ctx) => {
          expectTypeOf(ctx.tx).toEqualTypeOf<LedgerTx | undefined>()
          await ctx.tx?.insert({ account: ctx.input.account })
        },
        { transactional: true, compensate: (ctx) => expectTypeOf(ctx.tx).toEqualTypeOf<LedgerTx | undefined>() },
      )
      .route('kind', () => 'a', { a: (b) => b.step('nested', (ctx) => expectTypeOf(ctx.tx).toEqualTypeOf<LedgerTx | undefined>()) })
  })

  it('keeps a built workflow assignable to the untyped Workflow the runtime takes', () => {
    const workflow = defineWorkflow<{ sku: string }>('order').step('reserve', () => ({ id: 'r1' }))
    expectTypeOf(workflow).toExtend<Workflow>()
    expectTypeOf(workflow).toExtend<Workflow<{ sku: string }, { reserve: { id: string } }>>()
  })
})
