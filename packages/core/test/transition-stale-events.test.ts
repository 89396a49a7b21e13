import { describe, expect, it } from 'vitest'
import { currentStep, transition, type RunEvent, type RunState } from '@durable/core'
import { at, boom, linear, running, saga } from './transition-fixtures.js'

describe('stale and duplicate events', () => {
  const onCharge = running({ step: 'charge', attempt: 2, attempts: 2 })

  it.each<[string, RunEvent]>([
    ['a completion of another step', { type: 'stepCompleted', stepKey: 'reserve', attempt: 2, result: 1, at: at(0) }],
    ['a completion of an earlier attempt', { type: 'stepCompleted', stepKey: 'charge', attempt: 1, result: 1, at: at(0) }],
    ['a completion of a later attempt', { type: 'stepCompleted', stepKey: 'charge', attempt: 3, result: 1, at: at(0) }],
    ['a failure of an earlier attempt', { type: 'stepFailed', stepKey: 'charge', attempt: 1, error: boom, at: at(0) }],
    ['a completion of an unknown step', { type: 'stepCompleted', stepKey: 'nope', attempt: 2, result: 1, at: at(0) }],
    ['a compensation event while running', { type: 'compensationCompleted', stepKey: 'charge', attempt: 2, at: at(0) }],
  ])('ignores %s: same state object, no commands', (_label, event) => {
    const { state, commands } = transition(linear, onCharge, event)
    expect(state).toBe(onCharge)
    expect(commands).toEqual([])
  })

  it('ignores a step event while compensating and a compensation event for another step', () => {
    const compensating: RunState = { status: 'compensating', step: 'charge', attempt: 1, attempts: 4, error: { message: 'boom' } }
    for (const event of [
      { type: 'stepCompleted', stepKey: 'charge', attempt: 1, result: 1, at: at(0) },
      { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(0) },
      { type: 'compensationFailed', stepKey: 'charge', attempt: 2, error: boom, at: at(0) },
    ] satisfies RunEvent[]) {
      expect(transition(saga, compensating, event)).toEqual({ state: compensating, commands: [] })
      expect(transition(saga, compensating, event).state).toBe(compensating)
    }
  })

  it('ignores the same completion delivered twice', () => {
    const event: RunEvent = { type: 'stepCompleted', stepKey: 'reserve', attempt: 1, result: 1, at: at(0) }
    const once = transition(linear, running(), event)
    const twice = transition(linear, once.state, event)
    expect(twice.state).toBe(once.state)
    expect(twice.commands).toEqual([])
  })

  it.each(['completed', 'failed', 'cancelled'] as const)('lets a %s run absorb every event', (status) => {
    const ended = running({ status, step: 'charge' })
    const events: RunEvent[] = [
      { type: 'woken', at: at(99) },
      { type: 'leaseExpired', at: at(99) },
      { type: 'stepCompleted', stepKey: 'charge', attempt: 1, result: 1, at: at(99) },
      { type: 'stepFailed', stepKey: 'charge', attempt: 1, error: boom, at: at(99) },
      { type: 'compensationFailed', stepKey: 'charge', attempt: 1, error: boom, at: at(99) },
    ]
    for (const event of events) {
      const result = transition(linear, ended, event)
      expect(result.state).toBe(ended)
      expect(result.commands).toEqual([])
    }
    expect(currentStep(linear, ended)).toBeUndefined()
  })

  it('does not change the state it is given', () => {
    const before = Object.freeze(running({ step: 'charge' }))
    const copy = structuredClone(before)
    transition(linear, before, { type: 'stepFailed', stepKey: 'charge', attempt: 1, error: boom, at: at(0) })
    expect(before).toEqual(copy)
    expect(currentStep(linear, before)?.name).toBe('charge')
  })
})
