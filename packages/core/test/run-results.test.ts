import { describe, expect, it } from 'vitest'
import { RESULT_KINDS, runResults, type JournalKind } from '@durable/core'

const entry = (stepKey: string, kind: JournalKind, result?: unknown, stepName = stepKey.split(/[.#]/)[0]!) => ({
  stepKey,
  stepName,
  kind,
  ...(result !== undefined ? { result: result as never } : {}),
})

describe('runResults', () => {
  it('maps each finished step to its result, a parallel branch into its node, whatever order branches finished in', () => {
    const results = runResults([
      entry('reserve', 'step_completed', { id: 'r1' }),
      entry('fan.flaky', 'step_failed'),
      entry('fan.steady', 'step_completed', 'steady-ok'),
      entry('fan.flaky', 'step_completed', 'flaky-ok'),
      entry('approval', 'signal_received', { by: 'ada' }),
      entry('delivery', 'route_selected', 'express'),
      entry('invoice', 'child_completed', { total: 3 }),
    ])
    expect(results).toEqual({
      reserve: { id: 'r1' },
      fan: { steady: 'steady-ok', flaky: 'flaky-ok' },
      approval: { by: 'ada' },
      delivery: 'express',
      invoice: { total: 3 },
    })
  })

  it('ignores kinds that carry no step result, and keeps a loop’s final result', () => {
    const results = runResults([
      entry('poll#0', 'iteration_completed', 'not yet'),
      entry('poll#1', 'step_completed', 'ready'),
      entry('nap', 'timer_started', { until: '2026-01-01T00:00:00.000Z' }),
      entry('nap', 'timer_fired'),
      entry('$run', 'cancel_requested', 'why'),
      entry('reserve', 'compensated'),
    ])
    expect(results).toEqual({ poll: 'ready' })
  })

  it('reads a stored JSON null as null and a missing result as null', () => {
    expect(runResults([entry('a', 'step_completed', null), entry('b', 'step_completed')])).toEqual({ a: null, b: null })
  })

  it('lists the result kinds once', () => {
    expect([...RESULT_KINDS].sort()).toEqual(['child_completed', 'route_selected', 'signal_received', 'step_completed'])
  })
})
