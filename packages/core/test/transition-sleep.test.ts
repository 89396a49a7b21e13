import { describe, expect, it } from 'vitest'
import { defineWorkflow, initialState, transition, type RunEvent, type RunState, type StepError } from '@durable/core'
import { expectDurableError } from './expect-durable-error.js'
import { at, boom, noop, running, timer } from './transition-fixtures.js'

/** reserve (undo) → nap (1 h) → ship (1 try). */
const napping = defineWorkflow('napping').step('reserve', noop, { compensate: noop }).sleep('nap', '1h').step('ship', noop, { maxAttempts: 1 })
/** reserve → nap (5 s), the sleep last. */
const lastNap = defineWorkflow('last-nap').step('reserve', noop).sleep('nap', 5_000)

/** On the sleep, the timer not started yet. */
const onNap = running({ step: 'nap', attempts: 1 })
/** Asleep until T0 + 1 h. */
const asleep: RunState = { ...onNap, status: 'waiting', cursor: timer(at(3600)) }
const started = (until: string, stepKey = 'nap'): RunEvent => ({ type: 'timerStarted', stepKey, until, at: at(2) })

describe('reaching a sleep', () => {
  it('asks the runtime to start the timer once the step before it completes', () => {
    const { state, commands } = transition(napping, running(), { type: 'stepCompleted', stepKey: 'reserve', attempt: 1, result: 1, at: at(1) })
    expect(state).toEqual(onNap)
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'reserve', stepName: 'reserve', kind: 'step_completed', attempt: 1, result: 1 } },
      { type: 'startTimer', stepKey: 'nap', stepName: 'nap' },
    ])
  })

  it('asks for the timer at once when the sleep is the first node', () => {
    const workflow = defineWorkflow('w').sleep('nap', '1s').step('a', noop)
    const { state, commands } = transition(workflow, initialState(workflow), { type: 'woken', at: at(0) })
    expect(state).toEqual(running({ step: 'nap' }))
    expect(commands).toEqual([{ type: 'startTimer', stepKey: 'nap', stepName: 'nap' }])
  })

  it('asks for the timer again when woken before a timer was journaled (the worker died in between)', () => {
    const { state, commands } = transition(napping, onNap, { type: 'woken', at: at(9) })
    expect(state).toEqual(onNap)
    expect(commands).toEqual([{ type: 'startTimer', stepKey: 'nap', stepName: 'nap' }])
  })
})

describe('timerStarted', () => {
  it('parks the run until `until`, journals timer_started with { until } and schedules the wake-up', () => {
    const { state, commands } = transition(napping, onNap, started(at(3600)))
    expect(state).toEqual(asleep)
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'nap', stepName: 'nap', kind: 'timer_started', attempt: 1, result: { until: at(3600) } } },
      { type: 'scheduleWake', at: at(3600) },
    ])
  })

  it('ignores a second timerStarted once the run sleeps, so a duplicate never moves the wake-up time', () => {
    const { state, commands } = transition(napping, asleep, started(at(60)))
    expect(state).toBe(asleep)
    expect(commands).toEqual([])
  })

  it.each<[string, RunState, RunEvent]>([
    ['for another node', onNap, started(at(60), 'reserve')],
    ['for an unknown node', onNap, started(at(60), 'nope')],
    ['while the run is still on the step before', running(), started(at(60))],
    ['while the run has not started', initialState(napping), started(at(60))],
    ['while the run rolls back', { ...onNap, status: 'compensating', step: 'reserve' }, started(at(60))],
  ])('ignores a timerStarted %s: same state object, no commands', (_label, before, event) => {
    const { state, commands } = transition(napping, before, event)
    expect(state).toBe(before)
    expect(commands).toEqual([])
  })

  it.each(['soon', '', '2024-13-45T00:00:00Z', '2024-05-01T25:00:00Z'])('ignores a timerStarted whose `until` (%j) is not a date', (until) => {
    const { state, commands } = transition(napping, onNap, started(until))
    expect(state).toBe(onNap)
    expect(commands).toEqual([])
  })
})

describe('woken while sleeping', () => {
  it.each([0, 2, 3599])('only schedules the wake-up again when woken %i s after T0 (until is 3600 s), keeping the state object', (seconds) => {
    const { state, commands } = transition(napping, asleep, { type: 'woken', at: at(seconds) })
    expect(state).toBe(asleep)
    expect(commands).toEqual([{ type: 'scheduleWake', at: at(3600) }])
  })

  it.each([3600, 3601, 86_400])('journals timer_fired and runs the next step when woken %i s after T0', (seconds) => {
    const { state, commands } = transition(napping, asleep, { type: 'woken', at: at(seconds) })
    expect(state).toEqual(running({ step: 'ship', attempts: 1 }))
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'nap', stepName: 'nap', kind: 'timer_fired', attempt: 1 } },
      { type: 'runStep', stepKey: 'ship', stepName: 'ship', attempt: 1 },
    ])
  })

  it('compares instants, not strings: 13:00+01:00 is the same instant as 12:00Z', () => {
    const sleeping: RunState = { ...asleep, cursor: timer('2024-05-01T12:00:30.500Z') }
    expect(transition(napping, sleeping, { type: 'woken', at: '2024-05-01T13:00:30+01:00' }).commands[0]?.type).toBe('scheduleWake')
    expect(transition(napping, sleeping, { type: 'woken', at: '2024-05-01T13:00:31+01:00' }).commands[0]?.type).toBe('appendJournal')
  })

  it('completes the run when the sleep was the last node', () => {
    const { state, commands } = transition(lastNap, { ...asleep, cursor: timer(at(10)) }, { type: 'woken', at: at(10) })
    expect(state.status).toBe('completed')
    expect(commands).toEqual([{ type: 'appendJournal', entry: { stepKey: 'nap', stepName: 'nap', kind: 'timer_fired', attempt: 1 } }, { type: 'completeRun' }])
  })

  it('starts the next timer when one sleep follows another', () => {
    const twice = defineWorkflow('twice').step('a', noop).sleep('first', '1s').sleep('second', '1s')
    const { state, commands } = transition(twice, { ...asleep, step: 'first', cursor: timer(at(3)) }, { type: 'woken', at: at(3) })
    expect(state).toEqual(running({ step: 'second', attempts: 1 }))
    expect(commands.at(-1)).toEqual({ type: 'startTimer', stepKey: 'second', stepName: 'second' })
  })

  it('fires once: a second wake-up after the timer fired journals nothing more', () => {
    const fired = transition(napping, asleep, { type: 'woken', at: at(3600) })
    const again = transition(napping, fired.state, { type: 'woken', at: at(3601) })
    expect(again.commands).toEqual([{ type: 'runStep', stepKey: 'ship', stepName: 'ship', attempt: 1 }])
  })

  it('fires at the next wake-up when `until` was already past', () => {
    const past = transition(napping, onNap, started(at(-60)))
    expect(past.commands.at(-1)).toEqual({ type: 'scheduleWake', at: at(-60) })
    expect(transition(napping, past.state, { type: 'woken', at: at(3) }).commands[0]).toMatchObject({ entry: { kind: 'timer_fired' } })
  })
})

describe('leaseExpired at a sleep', () => {
  it('acts as woken before `until`: schedules the wake-up and journals no failure', () => {
    const { state, commands } = transition(napping, asleep, { type: 'leaseExpired', at: at(100) })
    expect(state).toBe(asleep)
    expect(commands).toEqual([{ type: 'scheduleWake', at: at(3600) }])
  })

  it('acts as woken at `until`: the timer fires', () => {
    const { state, commands } = transition(napping, asleep, { type: 'leaseExpired', at: at(3600) })
    expect(state).toEqual(running({ step: 'ship', attempts: 1 }))
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'runStep'])
  })

  it('asks for the timer again when the worker died before starting it, counting no attempt', () => {
    const { state, commands } = transition(napping, onNap, { type: 'leaseExpired', at: at(5) })
    expect(state).toEqual(onNap)
    expect(commands).toEqual([{ type: 'startTimer', stepKey: 'nap', stepName: 'nap' }])
  })
})

describe('a sleep during a rollback', () => {
  it('has no compensation of its own', () => {
    expect(napping.steps[1]).toMatchObject({ kind: 'sleep', name: 'nap', key: 'nap', compensation: undefined })
  })

  it('is skipped when a later step fails for good: the step before it is compensated next', () => {
    const { state, commands } = transition(napping, running({ step: 'ship', attempts: 1 }), { type: 'stepFailed', stepKey: 'ship', attempt: 1, error: boom, at: at(4000) })
    expect(state).toMatchObject({ status: 'compensating', step: 'reserve', attempt: 1, error: { message: 'boom', step: 'ship' } })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'ship', stepName: 'ship', kind: 'step_failed', attempt: 1, error: boom } },
      { type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 },
    ])
  })

  it('fails the run at once when only sleeps come before the failing step', () => {
    const workflow = defineWorkflow('w').sleep('a', '1s').sleep('b', '1s').step('c', noop, { maxAttempts: 1 })
    const { state, commands } = transition(workflow, running({ step: 'c' }), { type: 'stepFailed', stepKey: 'c', attempt: 1, error: boom, at: at(9) })
    expect(state.status).toBe('failed')
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'failRun'])
  })
})

describe('a sleep whose duration cannot be computed', () => {
  const invalid: StepError = { name: 'DurableError', message: 'sleep "nap" computed an invalid date', code: 'INVALID_DEFINITION', retryable: false }

  it('fails the sleep for good, remembers where, and rolls back the steps before it', () => {
    const { state, commands } = transition(napping, onNap, { type: 'stepFailed', stepKey: 'nap', attempt: 1, error: invalid, at: at(2) })
    expect(state).toMatchObject({ status: 'compensating', step: 'reserve', failedAt: { step: 'nap', attempt: 1 } })
    expect(state.error).toEqual({ message: invalid.message, code: 'INVALID_DEFINITION', step: 'nap' })
    expect(commands[0]).toEqual({ type: 'appendJournal', entry: { stepKey: 'nap', stepName: 'nap', kind: 'step_failed', attempt: 1, error: invalid } })
  })

  // The runtime must report the failure under the state's attempt: after a `retry` that is 2, not 1.
  it('fails a retried sleep for good at the retried attempt, and ignores a report for attempt 1', () => {
    const retried = transition(napping, { ...onNap, status: 'failed', error: { message: 'x' }, failedAt: { step: 'nap', attempt: 1 } }, { type: 'retryRequested', at: at(60) })
    expect(retried.state).toMatchObject({ status: 'running', step: 'nap', attempt: 2 })
    expect(retried.commands.at(-1)).toEqual({ type: 'startTimer', stepKey: 'nap', stepName: 'nap' })
    expect(transition(napping, retried.state, { type: 'stepFailed', stepKey: 'nap', attempt: 1, error: invalid, at: at(61) }).state).toBe(retried.state)
    const failed = transition(napping, retried.state, { type: 'stepFailed', stepKey: 'nap', attempt: 2, error: invalid, at: at(61) })
    expect(failed.state).toMatchObject({ failedAt: { step: 'nap', attempt: 2 }, error: { step: 'nap' } })
  })

  it('ignores a stepCompleted for a sleep: only timerStarted and a wake-up move it on', () => {
    const { state, commands } = transition(napping, onNap, { type: 'stepCompleted', stepKey: 'nap', attempt: 1, result: null, at: at(2) })
    expect(state).toBe(onNap)
    expect(commands).toEqual([])
  })
})

describe('.sleep in the builder', () => {
  it.each<[string, unknown]>([
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an unparseable string', 'soon'],
    ['a negative string', '-5s'],
    ['an empty string', ''],
    ['a Date given without a function', new Date(0)],
  ])('refuses %s as a static duration with INVALID_DEFINITION', (_label, duration) => {
    expectDurableError(() => defineWorkflow('w').sleep('nap', duration as never), 'INVALID_DEFINITION', /nap/)
  })

  it.each<[unknown, number]>([
    ['2h', 7_200_000],
    ['250ms', 250],
    [0, 0],
    [1_500, 1_500],
  ])('stores the static duration %j as %i ms', (duration, ms) => {
    expect(defineWorkflow('w').sleep('nap', duration as never).steps[0]).toEqual({ kind: 'sleep', name: 'nap', key: 'nap', duration: ms, compensation: undefined })
  })

  it('keeps a function duration as given, without calling it at definition time', () => {
    let calls = 0
    const until = (): Date => (calls++, new Date(0))
    const node = defineWorkflow('w').sleep('nap', until).steps[0]
    expect(node).toMatchObject({ kind: 'sleep', duration: until })
    expect(calls).toBe(0)
  })

  it('refuses a sleep named like an earlier step, and an empty name', () => {
    expectDurableError(() => defineWorkflow('w').step('nap', noop).sleep('nap', '1s'), 'DUPLICATE_STEP')
    expectDurableError(() => defineWorkflow('w').sleep('nap', '1s').waitForSignal('nap'), 'DUPLICATE_STEP')
    expectDurableError(() => defineWorkflow('w').sleep('  ', '1s'), 'INVALID_DEFINITION')
  })
})
