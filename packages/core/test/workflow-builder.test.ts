import type { StepDefinition } from '@durable/core'
import { describe, expect, it } from 'vitest'
import { defaultBackoff, defineWorkflow, DurableError, WorkflowBuilder } from '@durable/core'
import { expectDurableError } from './expect-durable-error.js'

const noop = async (): Promise<null> => null

describe('defineWorkflow', () => {
  it('returns an empty builder that carries the name and version', () => {
    const workflow = defineWorkflow('checkout', { version: '2' })
    expect(workflow).toBeInstanceOf(WorkflowBuilder)
    expect(workflow).toMatchObject({ name: 'checkout', version: '2', steps: [] })
    expect(defineWorkflow('checkout').version).toBeUndefined()
  })

  it.each(['', ' ', '\t\n  '])('refuses the blank workflow name %j with INVALID_DEFINITION', (name) => {
    expectDurableError(() => defineWorkflow(name), 'INVALID_DEFINITION', /workflow name/)
  })

  it.each([undefined, null, 42, {}, ['a']])('refuses the non-string workflow name %j with INVALID_DEFINITION', (name) => {
    expectDurableError(() => defineWorkflow(name as never), 'INVALID_DEFINITION')
  })

  it('refuses a workflow name containing \\u0000', () => {
    expectDurableError(() => defineWorkflow('check\u0000out'), 'INVALID_DEFINITION', /\\u0000/)
  })

  it('refuses a workflow name with a lone surrogate', () => {
    expectDurableError(() => defineWorkflow('bad\ud800name'), 'INVALID_DEFINITION', /surrogate/)
  })

  it('accepts a name of 200 characters and refuses one of 201', () => {
    expect(defineWorkflow('w'.repeat(200)).name).toHaveLength(200)
    expectDurableError(() => defineWorkflow('w'.repeat(201)), 'INVALID_DEFINITION', /longer than 200/)
  })

  it('refuses a version that is not a string', () => {
    expectDurableError(() => defineWorkflow('checkout', { version: 2 as never }), 'INVALID_DEFINITION', /version/)
  })
})

describe('step names', () => {
  it.each(['', ' ', '\n'])('refuses the blank step name %j with INVALID_DEFINITION', (name) => {
    expectDurableError(() => defineWorkflow('w').step(name, noop), 'INVALID_DEFINITION', /step name in workflow "w"/)
  })

  it('refuses a step name that is not a string', () => {
    expectDurableError(() => defineWorkflow('w').step(7 as never, noop), 'INVALID_DEFINITION')
  })

  it('refuses a step name containing \\u0000', () => {
    expectDurableError(() => defineWorkflow('w').step('a\u0000b', noop), 'INVALID_DEFINITION')
  })

  it('refuses a second step with the same name with DUPLICATE_STEP, naming it', () => {
    const once = defineWorkflow('w').step('reserve', noop).step('charge', noop)
    expectDurableError(() => once.step('reserve', noop), 'DUPLICATE_STEP', /"reserve"/)
  })

  it('treats names that differ only in case or spacing as different steps', () => {
    const workflow = defineWorkflow('w').step('reserve', noop).step('Reserve', noop).step('reserve ', noop)
    expect(workflow.steps.map((s) => s.name)).toEqual(['reserve', 'Reserve', 'reserve '])
  })

  it.each([`it's "quoted"`, 'café ☕ 注文 🚀', "'; DROP TABLE durable.runs; --", 'a.b#3', '$1 OR 1=1'])('accepts the name %j for workflows and steps, unchanged', (name) => {
    const workflow = defineWorkflow(name).step(name, noop)
    expect(workflow.name).toBe(name)
    expect(workflow.steps[0]).toMatchObject({ name, key: name })
  })
})

describe('step options', () => {
  it.each([0, -1, 1.5, '3', Number.NaN, Number.POSITIVE_INFINITY, true])('refuses maxAttempts %j with INVALID_DEFINITION', (maxAttempts) => {
    expectDurableError(() => defineWorkflow('w').step('charge', noop, { maxAttempts: maxAttempts as never }), 'INVALID_DEFINITION', /maxAttempts of step "charge" of workflow "w"/)
  })

  it.each(['soon', -5, 0, '0s', '', 'Infinityms'])('refuses timeout %j with INVALID_DEFINITION', (timeout) => {
    expectDurableError(() => defineWorkflow('w').step('charge', noop, { timeout: timeout as never }), 'INVALID_DEFINITION', /timeout/)
  })

  it('parses the timeout into milliseconds', () => {
    const workflow = defineWorkflow('w').step('a', noop, { timeout: '30s' }).step('b', noop, { timeout: 250 })
    expect((workflow.steps as StepDefinition[]).map((s) => s.timeoutMs)).toEqual([30_000, 250])
  })

  it.each([undefined, null, 'handler', 42, { handler: noop }])('refuses the handler %j with INVALID_DEFINITION', (handler) => {
    expectDurableError(() => defineWorkflow('w').step('a', handler as never), 'INVALID_DEFINITION', /needs a handler function/)
  })

  it.each([null, '2s', 1000, { delay: '1s' }])('refuses the backoff %j with INVALID_DEFINITION', (backoff) => {
    expectDurableError(() => defineWorkflow('w').step('a', noop, { backoff: backoff as never }), 'INVALID_DEFINITION', /backoff/)
  })

  it.each([null, 'undo', 42, {}, { handler: 'undo' }, { handle: noop }])('refuses the compensate shape %j with INVALID_DEFINITION', (compensate) => {
    expectDurableError(() => defineWorkflow('w').step('a', noop, { compensate: compensate as never }), 'INVALID_DEFINITION', /compensate/)
  })

  it('checks the retry policy of a compensator given as an object', () => {
    const step = () => defineWorkflow('w').step('a', noop, { compensate: { handler: noop, maxAttempts: 0 } })
    expectDurableError(step, 'INVALID_DEFINITION', /maxAttempts of compensation of step "a"/)
    const badBackoff = () => defineWorkflow('w').step('a', noop, { compensate: { handler: noop, backoff: '1s' as never } })
    expectDurableError(badBackoff, 'INVALID_DEFINITION', /backoff of compensation/)
  })

  it('refuses options that are not an object', () => {
    expectDurableError(() => defineWorkflow('w').step('a', noop, null as never), 'INVALID_DEFINITION', /options/)
  })
})

describe('defaults', () => {
  it('gives a plain step 3 attempts, the default backoff, no timeout, no compensator', () => {
    const [step] = defineWorkflow('w').step('a', noop).steps as StepDefinition[]
    expect(step).toMatchObject({ kind: 'step', name: 'a', key: 'a', timeoutMs: undefined, transactional: false, compensation: undefined })
    expect(step?.retry.maxAttempts).toBe(3)
    expect(step?.retry.backoff).toBe(defaultBackoff)
  })

  it('backs off 2 s, 4 s, 8 s… after failed attempts 1, 2, 3…, capped at 60 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 100, 10_000].map((attempt) => defaultBackoff(attempt))
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000])
  })

  it('keeps a custom backoff and maxAttempts as given', () => {
    const backoff = (n: number) => `${n}s` as const
    const [step] = defineWorkflow('w').step('a', noop, { maxAttempts: 1, backoff, transactional: true }).steps as StepDefinition[]
    expect(step?.retry).toEqual({ maxAttempts: 1, backoff })
    expect(step?.transactional).toBe(true)
  })

  it('accepts a compensator given as a function, with the default retry policy', () => {
    const undo = async () => undefined
    const [step] = defineWorkflow('w').step('a', noop, { compensate: undo }).steps
    expect(step?.compensation).toEqual({ handler: undo, retry: { maxAttempts: 3, backoff: defaultBackoff } })
  })

  it('accepts a compensator given as { handler, maxAttempts, backoff }', () => {
    const undo = async () => undefined
    const backoff = () => 500
    const [step] = defineWorkflow('w').step('a', noop, { compensate: { handler: undo, maxAttempts: 7, backoff } }).steps
    expect(step?.compensation).toEqual({ handler: undo, retry: { maxAttempts: 7, backoff } })
  })

  it('fills in the default policy for a compensator object that gives only a handler', () => {
    const undo = async () => undefined
    const [step] = defineWorkflow('w').step('a', noop, { compensate: { handler: undo } }).steps
    expect(step?.compensation?.retry).toEqual({ maxAttempts: 3, backoff: defaultBackoff })
  })
})

describe('builder immutability', () => {
  it('leaves the earlier builder unchanged when a step is added', () => {
    const first = defineWorkflow('w').step('a', noop)
    const second = first.step('b', noop)
    expect(second).not.toBe(first)
    expect(first.steps.map((s) => s.name)).toEqual(['a'])
    expect(second.steps.map((s) => s.name)).toEqual(['a', 'b'])
    expect(second.steps[0]).toBe(first.steps[0])
  })

  it('lets two workflows branch from one builder without seeing each other’s steps', () => {
    const base = defineWorkflow('w').step('a', noop)
    const left = base.step('b', noop)
    const right = base.step('b', noop).step('c', noop)
    expect(left.steps.map((s) => s.name)).toEqual(['a', 'b'])
    expect(right.steps.map((s) => s.name)).toEqual(['a', 'b', 'c'])
  })

  it('throws before adding anything, so the builder stays usable after a refused step', () => {
    const base = defineWorkflow('w').step('a', noop)
    expect(() => base.step('b', noop, { maxAttempts: 0 })).toThrow(DurableError)
    expect(base.steps).toHaveLength(1)
    expect(base.step('b', noop).steps.map((s) => s.name)).toEqual(['a', 'b'])
  })

  it('keeps the steps in the order they were added', () => {
    const names = ['one', 'two', 'three', 'four', 'five']
    const workflow = names.reduce<WorkflowBuilder<undefined, Record<string, unknown>>>((w, name) => w.step(name, noop), defineWorkflow('w'))
    expect(workflow.steps.map((s) => s.key)).toEqual(names)
  })
})
