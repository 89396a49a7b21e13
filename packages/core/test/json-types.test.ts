/**
 * Type tests: inputs and results are typed as what JSON stores. They fail under
 * `npx tsc -p tsconfig.test.json` (root), not at run time; the values checked at run time are the
 * ones `toJsonText` and `JSON.parse` really make, so the types are held to the stored form.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import { defineWorkflow, toJsonText, type Jsonify, type StepContext, type WorkflowInput, type WorkflowResults } from '@durable/core'

/** What a value becomes once stored and read back, as the runtime does it. */
const stored = <T>(value: T): Jsonify<T> => JSON.parse(toJsonText(value, 'value')) as Jsonify<T>

interface Booking {
  guest: string
  at: Date
  nights?: number
  note: string | undefined
}

describe('inputs typed as JSON', () => {
  it('types a Date of the input as the ISO string a handler gets in ctx.input', () => {
    const booking = defineWorkflow<Booking>('booking').step('confirm', (ctx) => {
      expectTypeOf(ctx.input).toEqualTypeOf<{ guest: string; at: string; nights?: number; note?: string }>()
      return ctx.input.at.slice(0, 10)
    })
    // start() still takes the input as the caller has it, Date and all.
    expectTypeOf<WorkflowInput<typeof booking>>().toEqualTypeOf<Booking>()
    const input = stored<Booking>({ guest: 'ada', at: new Date('2030-01-02T03:04:05.000Z'), note: undefined })
    expect(input).toEqual({ guest: 'ada', at: '2030-01-02T03:04:05.000Z' })
  })

  it('types dates inside arrays and nested objects as strings', () => {
    defineWorkflow<{ slots: Date[]; owner: { since: Date; tags: readonly string[] } }>('nested').step('read', (ctx) => {
      expectTypeOf(ctx.input.slots).toEqualTypeOf<string[]>()
      expectTypeOf(ctx.input.owner).toEqualTypeOf<{ since: string; tags: readonly string[] }>()
      return null
    })
  })

  it('leaves input types that are JSON already as they are, unknown and any included', () => {
    defineWorkflow<{ sku: string; qty: number; express?: boolean }>('plain').step('a', (ctx) => {
      expectTypeOf(ctx.input).toEqualTypeOf<{ sku: string; qty: number; express?: boolean }>()
    })
    defineWorkflow<unknown>('open').step('a', (ctx) => expectTypeOf(ctx.input).toEqualTypeOf<unknown>())
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    defineWorkflow<any>('loose').step('a', (ctx) => expectTypeOf(ctx.input).toBeAny())
  })

  it('refuses, at compile time, an input type with a bigint, a function, a symbol or a Map', () => {
    // Each of these would be refused at start() with NOT_SERIALIZABLE.
    // @ts-expect-error — a bigint has no JSON form
    defineWorkflow<{ amount: bigint }>('pay')
    // @ts-expect-error — nor has a function, however deep
    defineWorkflow<{ customer: { notify: () => void } }>('notify')
    // @ts-expect-error — a symbol
    defineWorkflow<{ id: symbol }>('tagged')
    // @ts-expect-error — a Map (convert it with Object.fromEntries)
    defineWorkflow<{ prices: Map<string, number> }>('prices')
    // @ts-expect-error — an optional bigint is refused too
    defineWorkflow<{ amount?: bigint }>('maybe-pay')
    expect(() => toJsonText({ amount: 1n }, 'input')).toThrow(/BigInt/)
  })
})

describe('results typed as JSON', () => {
  it('types a Date result as a string in later steps, compensators and loops', () => {
    defineWorkflow('dates')
      .step('book', () => ({ at: new Date(), id: 'b1' }), {
        compensate: (ctx) => {
          expectTypeOf(ctx.results.book).toEqualTypeOf<{ at: string; id: string }>()
        },
      })
      .step('stamp', async () => new Date())
      .loop('poll', () => ({ checkedAt: new Date() }), {
        until: (result) => {
          expectTypeOf(result).toEqualTypeOf<{ checkedAt: string }>()
          return true
        },
        maxIterations: 3,
      })
      .step('later', (ctx) => {
        expectTypeOf(ctx.results.book.at).toEqualTypeOf<string>()
        expectTypeOf(ctx.results.stamp).toEqualTypeOf<string>()
        expectTypeOf(ctx.results.poll.checkedAt).toEqualTypeOf<string>()
        return null
      })
  })

  it('types a step that returns nothing as null, which is what the journal holds', () => {
    const workflow = defineWorkflow('quiet')
      .step('log', () => {})
      .step('sync', async () => undefined)
      .step('next', (ctx) => {
        expectTypeOf(ctx.results.log).toEqualTypeOf<null>()
        expectTypeOf(ctx.results.sync).toEqualTypeOf<null>()
      })
    expectTypeOf<WorkflowResults<typeof workflow>>().toEqualTypeOf<{ log: null } & { sync: null } & { next: null }>()
    expect(stored(undefined)).toBeNull()
  })

  it('makes properties that may be undefined optional and drops undefined and function ones', () => {
    const value = { id: 'x', note: undefined as string | undefined, gone: undefined, describe: () => 'x' }
    type Stored = Jsonify<typeof value>
    expectTypeOf<Stored>().toEqualTypeOf<{ id: string; note?: string }>()
    expect(stored({ id: 'x', note: undefined, gone: undefined })).toEqual({ id: 'x' })
    expect(Object.keys(stored({ id: 'x', note: undefined }))).toEqual(['id'])
  })

  it('types parallel branches, signal payloads and results as stored', () => {
    defineWorkflow('fan')
      .parallel('notify', { email: () => ({ sentAt: new Date() }), sms: { handler: async () => undefined } })
      .waitForSignal<'approval', { by: string; at: Date }>('approval')
      .step('after', (ctx) => {
        expectTypeOf(ctx.results.notify).toEqualTypeOf<{ email: { sentAt: string }; sms: null }>()
        expectTypeOf(ctx.results.approval).toEqualTypeOf<{ by: string; at: string }>()
      })
  })

  it('keeps the types of JSON results as written, classes with toJSON as their toJSON', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON(): { cents: number; currency: 'EUR' } {
        return { cents: this.cents, currency: 'EUR' }
      }
    }
    defineWorkflow('kept')
      .step('list', () => [{ a: 1 }, { a: 2 }] as const)
      .step('price', () => new Money(5))
      .step('read', (ctx) => {
        expectTypeOf(ctx.results.list).toEqualTypeOf<readonly [{ readonly a: 1 }, { readonly a: 2 }]>()
        expectTypeOf(ctx.results.price).toEqualTypeOf<{ cents: number; currency: 'EUR' }>()
      })
    expect(stored(new Money(5))).toEqual({ cents: 5, currency: 'EUR' })
  })

  it('types a handler written on its own with StepContext the same way', () => {
    const confirm = (ctx: StepContext<Booking, { quote: Jsonify<{ validUntil: Date }> }>) => {
      expectTypeOf(ctx.input.at).toEqualTypeOf<string>()
      expectTypeOf(ctx.results.quote.validUntil).toEqualTypeOf<string>()
      return ctx.input.guest
    }
    defineWorkflow<Booking>('booking')
      .step('quote', () => ({ validUntil: new Date() }))
      .step('confirm', confirm)
  })
})
