import { describe, expect, it } from 'vitest'
import { defineWorkflow, describeShapeChange, workflowShape } from '@durable/core'

const noop = async () => null

describe('workflowShape', () => {
  it('names every node with its kind, nesting routes and listing parallel branches', () => {
    const wf = defineWorkflow('checkout')
      .step('reserve', noop)
      .parallel('notify', { email: noop, sms: noop })
      .route('delivery', () => 'express', {
        express: (b) => b.step('courier', noop).route('speed', () => 'fast', { fast: (c) => c.step('bike', noop) }),
        standard: (b) => b.step('post', noop),
      })
      .sleep('cool-off', '1h')
      .waitForSignal('approval')
      .loop('poll', noop, { until: () => true, maxIterations: 3 })
      .child('invoice', 'invoicing', () => ({}))
    expect(workflowShape(wf)).toBe(
      'step:reserve > parallel:notify(email,sms) > route:delivery{express[step:courier > route:speed{fast[step:bike]}] standard[step:post]}' +
        ' > sleep:cool-off > waitForSignal:approval > loop:poll > child:invoice<invoicing>',
    )
  })

  it('ignores handlers, options and durations, and changes with names, kinds and order', () => {
    const a = defineWorkflow('w').step('x', noop).sleep('nap', '1h')
    expect(
      workflowShape(
        defineWorkflow('w')
          .step('x', async () => 2, { maxAttempts: 9 })
          .sleep('nap', '2d'),
      ),
    ).toBe(workflowShape(a))
    expect(workflowShape(defineWorkflow('w').step('y', noop).sleep('nap', '1h'))).not.toBe(workflowShape(a))
    expect(workflowShape(defineWorkflow('w').sleep('nap', '1h').step('x', noop))).not.toBe(workflowShape(a))
    expect(workflowShape(defineWorkflow('w').waitForSignal('x').sleep('nap', '1h'))).not.toBe(workflowShape(a))
  })

  it('says what differs between two shapes', () => {
    expect(describeShapeChange('step:reserve > waitForSignal:go > step:ship', 'step:reserve > step:ship')).toBe('steps only in the run: waitForSignal:go')
    expect(describeShapeChange('step:a > step:b', 'step:a > step:c')).toBe('steps only in the run: step:b; steps only in the code: step:c')
    expect(describeShapeChange('step:a > step:b', 'step:b > step:a')).toMatch(/another order/)
  })
})
