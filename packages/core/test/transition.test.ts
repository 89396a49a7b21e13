import { describe, expect, it } from 'vitest'
import { defineWorkflow, initialState, NonRetryableError, toStepError, transition, type RunEvent, type RunState, type StepError, timerOf } from '@durable/core'
import { at, boom, linear, noop, running, saga, timer } from './transition-fixtures.js'

describe('woken from pending', () => {
  it('runs attempt 1 of the first step and marks the run running', () => {
    const { state, commands } = transition(linear, initialState(linear, { sku: 'A1' }), { type: 'woken', at: at(0) })
    expect(state).toEqual(running())
    expect(commands).toEqual([{ type: 'runStep', stepKey: 'reserve', stepName: 'reserve', attempt: 1 }])
  })

  it('completes a workflow without steps at once', () => {
    const empty = defineWorkflow('empty')
    const { state, commands } = transition(empty, initialState(empty), { type: 'woken', at: at(0) })
    expect(state.status).toBe('completed')
    expect(commands).toEqual([{ type: 'completeRun' }])
  })

  it('starts from a pending state with nothing counted', () => {
    expect(initialState(linear)).toEqual({ status: 'pending', step: null, attempt: 1, attempts: 0, error: null })
  })
})

describe('stepCompleted', () => {
  it('journals the result and runs the next step', () => {
    const event: RunEvent = { type: 'stepCompleted', stepKey: 'reserve', attempt: 1, result: { id: 'r1' }, at: at(1) }
    const { state, commands } = transition(linear, running(), event)
    expect(state).toEqual(running({ step: 'charge', attempts: 1 }))
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'reserve', stepName: 'reserve', kind: 'step_completed', attempt: 1, result: { id: 'r1' } } },
      { type: 'runStep', stepKey: 'charge', stepName: 'charge', attempt: 1 },
    ])
  })

  it('completes the run after the last step', () => {
    const event: RunEvent = { type: 'stepCompleted', stepKey: 'ship', attempt: 1, result: null, at: at(3) }
    const { state, commands } = transition(linear, running({ step: 'ship', attempts: 2 }), event)
    expect(state).toMatchObject({ status: 'completed', attempts: 3 })
    expect(commands).toEqual([{ type: 'appendJournal', entry: { stepKey: 'ship', stepName: 'ship', kind: 'step_completed', attempt: 1, result: null } }, { type: 'completeRun' }])
  })

  it('starts the next step at attempt 1 after a step succeeded on a retry', () => {
    const event: RunEvent = { type: 'stepCompleted', stepKey: 'reserve', attempt: 3, result: 1, at: at(9) }
    const { state, commands } = transition(linear, running({ attempt: 3, attempts: 2 }), event)
    expect(state).toEqual(running({ step: 'charge', attempt: 1, attempts: 3 }))
    expect(commands.at(-1)).toEqual({ type: 'runStep', stepKey: 'charge', stepName: 'charge', attempt: 1 })
  })
})

describe('stepFailed with attempts left', () => {
  it('journals the failure and schedules a wake-up at `at` + backoff(attempt)', () => {
    const { state, commands } = transition(linear, running(), { type: 'stepFailed', stepKey: 'reserve', attempt: 1, error: boom, at: at(10) })
    expect(state).toEqual(running({ attempt: 2, cursor: timer(at(12)), attempts: 1 }))
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'reserve', stepName: 'reserve', kind: 'step_failed', attempt: 1, error: boom } },
      { type: 'scheduleWake', at: at(12) },
    ])
  })

  it('passes the failed attempt’s number to the backoff', () => {
    const seen: number[] = []
    const workflow = defineWorkflow('w').step('a', noop, { maxAttempts: 5, backoff: (n) => (seen.push(n), `${n * 10}s`) })
    const { state } = transition(workflow, running({ step: 'a', attempt: 3 }), { type: 'stepFailed', stepKey: 'a', attempt: 3, error: boom, at: at(0) })
    expect(seen).toEqual([3])
    expect(state).toMatchObject({ attempt: 4, cursor: timer(at(30)) })
  })

  it('runs the next attempt at once when the backoff is 0', () => {
    const workflow = defineWorkflow('w').step('a', noop, { backoff: () => 0 })
    const { state, commands } = transition(workflow, running({ step: 'a' }), { type: 'stepFailed', stepKey: 'a', attempt: 1, error: boom, at: at(0) })
    expect(state).toEqual(running({ step: 'a', attempt: 2, attempts: 1 }))
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'runStep'])
    expect(commands[1]).toEqual({ type: 'runStep', stepKey: 'a', stepName: 'a', attempt: 2 })
  })
})

describe('woken while a retry waits', () => {
  const waiting = running({ attempt: 2, cursor: timer(at(12)), attempts: 1 })

  it('only schedules the wake-up again when woken before its timer, keeping the state object', () => {
    const { state, commands } = transition(linear, waiting, { type: 'woken', at: at(11) })
    expect(state).toBe(waiting)
    expect(commands).toEqual([{ type: 'scheduleWake', at: at(12) }])
  })

  it.each([12, 13, 3600])('runs attempt 2 when woken %i s after T0 (timer at 12 s)', (seconds) => {
    const { state, commands } = transition(linear, waiting, { type: 'woken', at: at(seconds) })
    expect(state).toEqual(running({ attempt: 2, attempts: 1 }))
    expect(commands).toEqual([{ type: 'runStep', stepKey: 'reserve', stepName: 'reserve', attempt: 2 }])
  })

  it.each([
    ['2024-05-01T12:00:12Z', 'half a second early, written without milliseconds', false],
    ['2024-05-01T12:00:13Z', 'after, written without milliseconds', true],
    ['2024-05-01T10:00:13-02:00', 'after, in another time zone', true],
    ['2024-05-01T14:00:12+02:00', 'early, in another time zone', false],
  ])('compares instants, not strings: woken at %s (%s) runs the retry: %s', (when, _label, due) => {
    const halfPast = running({ attempt: 2, cursor: timer('2024-05-01T12:00:12.500Z'), attempts: 1 })
    const { commands } = transition(linear, halfPast, { type: 'woken', at: when })
    expect(commands[0]?.type).toBe(due ? 'runStep' : 'scheduleWake')
  })
})

describe('a failure that must not be retried', () => {
  it.each<[string, StepError]>([
    ['a NonRetryableError', toStepError(new NonRetryableError('card declined'))],
    ['its shape, from another copy of the package', { name: 'NonRetryableError', message: 'card declined', code: 'NON_RETRYABLE', retryable: false }],
  ])('fails the run at once on %s, with attempts left', (_label, error) => {
    const workflow = defineWorkflow('w').step('charge', noop, { maxAttempts: 5 })
    const { state, commands } = transition(workflow, running({ step: 'charge' }), { type: 'stepFailed', stepKey: 'charge', attempt: 1, error, at: at(0) })
    expect(state).toMatchObject({ status: 'failed', error: { message: 'card declined', code: 'NON_RETRYABLE', step: 'charge' } })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'charge', stepName: 'charge', kind: 'step_failed', attempt: 1, error } },
      { type: 'failRun', error: { message: 'card declined', code: 'NON_RETRYABLE', step: 'charge' } },
    ])
  })
})

describe('attempts exhausted', () => {
  const timedOut: StepError = { ...boom, code: 'STEP_TIMEOUT' }
  const failShip: RunEvent = { type: 'stepFailed', stepKey: 'ship', attempt: 1, error: timedOut, at: at(20) }
  const shipFailed = { message: 'boom', code: 'STEP_TIMEOUT', step: 'ship' }

  it('compensates the last completed step that has a compensator first', () => {
    const { state, commands } = transition(saga, running({ step: 'ship', attempts: 3 }), failShip)
    // failedAt remembers where `retry` resumes.
    expect(state).toEqual({ status: 'compensating', step: 'charge', attempt: 1, attempts: 4, error: shipFailed, failedAt: { step: 'ship', attempt: 1 } })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'ship', stepName: 'ship', kind: 'step_failed', attempt: 1, error: timedOut } },
      { type: 'runCompensation', stepKey: 'charge', stepName: 'charge', attempt: 1 },
    ])
  })

  it('then compensates the earlier ones one at a time, skipping steps without a compensator', () => {
    const compensating: RunState = { status: 'compensating', step: 'charge', attempt: 1, attempts: 4, error: shipFailed }
    const { state, commands } = transition(saga, compensating, { type: 'compensationCompleted', stepKey: 'charge', attempt: 1, at: at(21) })
    expect(state).toEqual({ ...compensating, step: 'reserve', attempts: 5 })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'charge', stepName: 'charge', kind: 'compensated', attempt: 1 } },
      { type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 },
    ])
  })

  it('fails the run with { message, code, step } once the first step is compensated', () => {
    const compensating: RunState = { status: 'compensating', step: 'reserve', attempt: 1, attempts: 5, error: shipFailed }
    const { state, commands } = transition(saga, compensating, { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(22) })
    expect(state).toEqual({ ...compensating, status: 'failed', attempts: 6 })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'reserve', stepName: 'reserve', kind: 'compensated', attempt: 1 } },
      { type: 'failRun', error: shipFailed },
    ])
  })

  it('fails at once, without a code, when nothing before the step has a compensator', () => {
    const { state, commands } = transition(linear, running({ step: 'charge', attempt: 3, attempts: 3 }), {
      type: 'stepFailed',
      stepKey: 'charge',
      attempt: 3,
      error: boom,
      at: at(0),
    })
    expect(state).toMatchObject({ status: 'failed', step: 'charge', attempts: 4 })
    expect(commands.at(-1)).toEqual({ type: 'failRun', error: { message: 'boom', step: 'charge' } })
    expect(state.error).not.toHaveProperty('code')
  })
})

describe('compensationFailed', () => {
  const compensatingCharge: RunState = { status: 'compensating', step: 'charge', attempt: 1, attempts: 4, error: { message: 'boom', step: 'ship' } }

  it('retries the compensator per its own policy', () => {
    const failed = transition(saga, compensatingCharge, { type: 'compensationFailed', stepKey: 'charge', attempt: 1, error: boom, at: at(30) })
    expect(failed.state).toEqual({ ...compensatingCharge, attempt: 2, cursor: timer(at(31)), attempts: 5 })
    expect(failed.commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'charge', stepName: 'charge', kind: 'compensation_failed', attempt: 1, error: boom } },
      { type: 'scheduleWake', at: at(31) },
    ])
    const woken = transition(saga, failed.state, { type: 'woken', at: at(31) })
    expect(woken.commands).toEqual([{ type: 'runCompensation', stepKey: 'charge', stepName: 'charge', attempt: 2 }])
    expect(woken.state).toMatchObject({ status: 'compensating' })
    expect(timerOf(woken.state)).toBeNull()
  })

  it('records a compensator that fails for good and goes on rolling back', () => {
    const lastTry: RunState = { ...compensatingCharge, attempt: 2 }
    const { state, commands } = transition(saga, lastTry, { type: 'compensationFailed', stepKey: 'charge', attempt: 2, error: boom, at: at(32) })
    expect(state).toEqual({ ...compensatingCharge, step: 'reserve', attempt: 1, attempts: 5 })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'charge', stepName: 'charge', kind: 'compensation_failed', attempt: 2, error: boom } },
      { type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 },
    ])
  })

  it('gives a compensator given as a function 3 tries with the default backoff', () => {
    const compensatingReserve: RunState = { ...compensatingCharge, step: 'reserve' }
    const first = transition(saga, compensatingReserve, { type: 'compensationFailed', stepKey: 'reserve', attempt: 1, error: boom, at: at(0) })
    expect(first.state).toMatchObject({ attempt: 2, cursor: timer(at(2)) })
    const third = transition(saga, { ...compensatingReserve, attempt: 3 }, { type: 'compensationFailed', stepKey: 'reserve', attempt: 3, error: boom, at: at(0) })
    expect(third.commands.at(-1)).toEqual({ type: 'failRun', error: { message: 'boom', step: 'ship' } })
  })
})

describe('an invalid backoff value', () => {
  it.each<[string, () => unknown]>([
    ['an unparseable duration', () => 'soon'],
    ['a negative number', () => -1],
    [
      'a backoff that throws',
      () => {
        throw new Error('no delay for you')
      },
    ],
    ['a delay past the last date JavaScript can hold', () => '100000000d'],
  ])('fails the run with INVALID_DEFINITION for %s', (_label, backoff) => {
    const workflow = defineWorkflow('w').step('a', noop, { backoff: backoff as never })
    const { state, commands } = transition(workflow, running({ step: 'a' }), { type: 'stepFailed', stepKey: 'a', attempt: 1, error: boom, at: at(0) })
    expect(state).toMatchObject({ status: 'failed', error: { code: 'INVALID_DEFINITION', step: 'a' } })
    expect(state.error?.message).toMatch(/backoff|no delay for you/)
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'failRun'])
  })

  it('still compensates the completed steps', () => {
    const workflow = defineWorkflow('w')
      .step('a', noop, { compensate: noop })
      .step('b', noop, { backoff: () => 'soon' as never })
    const { state, commands } = transition(workflow, running({ step: 'b' }), { type: 'stepFailed', stepKey: 'b', attempt: 1, error: boom, at: at(0) })
    expect(state).toMatchObject({ status: 'compensating', step: 'a', error: { code: 'INVALID_DEFINITION', step: 'b' } })
    expect(commands.at(-1)).toEqual({ type: 'runCompensation', stepKey: 'a', stepName: 'a', attempt: 1 })
  })
})

describe('leaseExpired', () => {
  it('counts the running attempt as failed with LEASE_EXPIRED', () => {
    const { state, commands } = transition(linear, running({ step: 'charge' }), { type: 'leaseExpired', at: at(40) })
    expect(state).toEqual(running({ step: 'charge', attempt: 2, cursor: timer(at(42)), attempts: 1 }))
    expect(commands[0]).toMatchObject({
      type: 'appendJournal',
      entry: { stepKey: 'charge', kind: 'step_failed', attempt: 1, error: { name: 'DurableError', code: 'LEASE_EXPIRED', retryable: true } },
    })
    expect(commands[1]).toEqual({ type: 'scheduleWake', at: at(42) })
  })

  it('fails the run with LEASE_EXPIRED on the last attempt', () => {
    const { commands } = transition(linear, running({ attempt: 3 }), { type: 'leaseExpired', at: at(0) })
    expect(commands.at(-1)).toMatchObject({ type: 'failRun', error: { code: 'LEASE_EXPIRED', step: 'reserve' } })
  })

  it('counts a compensator’s try as failed while compensating', () => {
    const compensating: RunState = { status: 'compensating', step: 'charge', attempt: 1, attempts: 4, error: { message: 'boom' } }
    const { commands } = transition(saga, compensating, { type: 'leaseExpired', at: at(0) })
    expect(commands[0]).toMatchObject({ type: 'appendJournal', entry: { stepKey: 'charge', kind: 'compensation_failed', error: { code: 'LEASE_EXPIRED' } } })
  })

  // No handler can have been cut short there: the run must go on as if woken, never stall.
  it('acts as woken while the run waits for a retry', () => {
    const before = running({ attempt: 2, cursor: timer(at(50)) })
    const { state, commands } = transition(linear, before, { type: 'leaseExpired', at: at(1) })
    expect(state).toBe(before)
    expect(commands).toEqual([{ type: 'scheduleWake', at: at(50) }])
  })

  it('starts a run created without its definition (step null) at the first step of the one that drives it', () => {
    const unknown = initialState(undefined)
    expect(unknown).toMatchObject({ status: 'pending', step: null })
    const { state, commands } = transition(linear, unknown, { type: 'woken', at: at(0) })
    expect(state).toEqual(running())
    expect(commands).toEqual([{ type: 'runStep', stepKey: 'reserve', stepName: 'reserve', attempt: 1 }])
    expect(transition(linear, unknown, { type: 'cancelRequested', at: at(0) }).state).toMatchObject({ status: 'cancelled', step: 'reserve' })
  })

  it('counts the first try as failed when the worker died before the first commit of the run', () => {
    const { state, commands } = transition(linear, initialState(linear), { type: 'leaseExpired', at: at(1) })
    expect(state).toMatchObject({ status: 'running', step: 'reserve', attempt: 2, attempts: 1, cursor: timer(at(3)) })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'reserve', stepName: 'reserve', kind: 'step_failed', attempt: 1, error: expect.objectContaining({ code: 'LEASE_EXPIRED' }) } },
      { type: 'scheduleWake', at: at(3) },
    ])
  })

  it('reads "not started" from the step, not the status a claim wrote: a lost first try counts the same', () => {
    const claimedOnce: RunState = { ...initialState(linear), status: 'running' }
    expect(transition(linear, claimedOnce, { type: 'claimed', at: at(1), previousLeaseExpired: true })).toEqual(
      transition(linear, initialState(linear), { type: 'leaseExpired', at: at(1) }),
    )
    const fanFirst = defineWorkflow('fan-first').parallel('fan', { a: noop, b: noop })
    const { state, commands } = transition(fanFirst, { ...initialState(fanFirst), status: 'running' }, { type: 'claimed', at: at(1), previousLeaseExpired: true })
    expect(state).toMatchObject({ status: 'running', step: 'fan', attempts: 2 })
    expect(commands.filter((c) => c.type === 'appendJournal')).toHaveLength(2)
  })

  it('starts a run whose first node runs no handler as woken would, after a lost lease', () => {
    const napFirst = defineWorkflow('nap-first')
      .sleep('nap', '1s')
      .step('after', async () => 1)
    const { state, commands } = transition(napFirst, initialState(napFirst), { type: 'leaseExpired', at: at(1) })
    expect(state.status).toBe('running')
    expect(commands).toEqual([{ type: 'startTimer', stepKey: 'nap', stepName: 'nap' }])
  })
})
