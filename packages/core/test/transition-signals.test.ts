import { describe, expect, it } from 'vitest'
import { defineWorkflow, initialState, transition, type Json, type RunEvent, type RunState } from '@durable/core'
import { expectDurableError } from './expect-durable-error.js'
import { at, noop, running, timer } from './transition-fixtures.js'

/** reserve (undo) → notify → approve (signal, 1 h timeout) → ship. */
const approval = defineWorkflow('approval').step('reserve', noop, { compensate: noop }).step('notify', noop).waitForSignal('approve', { timeout: '1h' }).step('ship', noop)
/** reserve → approve (signal, no timeout) → ship. */
const patient = defineWorkflow('patient').step('reserve', noop).waitForSignal('approve').step('ship', noop)

/** Waiting for "approve", with no timeout. */
const untimed: RunState = { status: 'waiting', step: 'approve', attempt: 1, attempts: 2, error: null }
/** Waiting for "approve" since T0 + 10 s, until T0 + 3610 s. */
const waiting: RunState = { ...untimed, cursor: timer(at(3610)) }
const signal = (payload: Json, seconds = 20, stepKey = 'approve'): RunEvent => ({ type: 'signalReceived', stepKey, payload, at: at(seconds) })
const timedOut = (seconds: number, stepKey = 'approve'): RunEvent => ({ type: 'signalTimedOut', stepKey, at: at(seconds) })

describe('reaching a signal wait', () => {
  it('parks the run until `at` + timeout and asks the runtime to await the signal', () => {
    const { state, commands } = transition(approval, running({ step: 'notify', attempts: 1 }), { type: 'stepCompleted', stepKey: 'notify', attempt: 1, result: null, at: at(10) })
    expect(state).toEqual(waiting)
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'notify', stepName: 'notify', kind: 'step_completed', attempt: 1, result: null } },
      { type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: at(3610) },
    ])
  })

  it('waits with no deadline when the wait has no timeout', () => {
    const { state, commands } = transition(patient, running(), { type: 'stepCompleted', stepKey: 'reserve', attempt: 1, result: 1, at: at(10) })
    expect(state).toEqual({ status: 'waiting', step: 'approve', attempt: 1, attempts: 1, error: null })
    expect(commands.at(-1)).toEqual({ type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: null })
  })

  it('waits at once when the signal wait is the first node, counting the timeout from the wake-up', () => {
    const workflow = defineWorkflow('w').waitForSignal('go', { timeout: '5s' })
    const { state, commands } = transition(workflow, initialState(workflow), { type: 'woken', at: at(7) })
    expect(state).toEqual({ status: 'waiting', step: 'go', attempt: 1, cursor: timer(at(12)), attempts: 0, error: null })
    expect(commands).toEqual([{ type: 'awaitSignal', stepKey: 'go', stepName: 'go', timeoutAt: at(12) }])
  })

  it('counts the timeout from the moment a sleep before it fired', () => {
    const workflow = defineWorkflow('w').sleep('nap', '1m').waitForSignal('go', { timeout: '30s' })
    const asleep: RunState = { status: 'waiting', step: 'nap', attempt: 1, cursor: timer(at(60)), attempts: 0, error: null }
    const { state, commands } = transition(workflow, asleep, { type: 'woken', at: at(61) })
    expect(state).toMatchObject({ status: 'waiting', step: 'go', cursor: timer(at(91)) })
    expect(commands.at(-1)).toEqual({ type: 'awaitSignal', stepKey: 'go', stepName: 'go', timeoutAt: at(91) })
  })
})

describe('woken while waiting for a signal', () => {
  // Never scheduleWake alone: the runtime must look for a buffered signal before the timeout.
  it.each([11, 3609, 3610, 99_999])('asks to await the signal again when woken %i s after T0, keeping the state object', (seconds) => {
    const { state, commands } = transition(approval, waiting, { type: 'woken', at: at(seconds) })
    expect(state).toBe(waiting)
    expect(commands).toEqual([{ type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: at(3610) }])
  })

  it('asks to await the signal with no deadline when the wait has no timeout', () => {
    const open: RunState = { ...untimed, step: 'approve' }
    expect(transition(patient, open, { type: 'woken', at: at(1e6) }).commands).toEqual([{ type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: null }])
  })

  it('acts as woken on leaseExpired: no failure is journaled for a wait', () => {
    const { state, commands } = transition(approval, waiting, { type: 'leaseExpired', at: at(50) })
    expect(state).toBe(waiting)
    expect(commands).toEqual([{ type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: at(3610) }])
  })
})

describe('signalReceived', () => {
  it('journals signal_received with the payload as result and runs the next step', () => {
    const payload = { approvedBy: 'ada', notes: ['ok', 2] }
    const { state, commands } = transition(approval, waiting, signal(payload))
    expect(state).toEqual(running({ step: 'ship', attempts: 2 }))
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'approve', stepName: 'approve', kind: 'signal_received', attempt: 1, result: payload } },
      { type: 'runStep', stepKey: 'ship', stepName: 'ship', attempt: 1 },
    ])
  })

  it('journals a null payload as the result null', () => {
    const { commands } = transition(approval, waiting, signal(null))
    expect(commands[0]).toEqual({ type: 'appendJournal', entry: { stepKey: 'approve', stepName: 'approve', kind: 'signal_received', attempt: 1, result: null } })
  })

  it('completes the run when the wait was the last node', () => {
    const workflow = defineWorkflow('w').step('a', noop).waitForSignal('approve')
    const { state, commands } = transition(workflow, { ...untimed, step: 'approve' }, signal('yes'))
    expect(state.status).toBe('completed')
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'completeRun'])
  })

  it('ignores the same signal delivered again after the run moved on', () => {
    const once = transition(approval, waiting, signal({ n: 1 }))
    const twice = transition(approval, once.state, signal({ n: 2 }, 21))
    expect(twice.state).toBe(once.state)
    expect(twice.commands).toEqual([])
  })

  it.each<[string, RunState, RunEvent]>([
    ['for another wait', waiting, signal(1, 20, 'other')],
    ['named like a step', { ...untimed, status: 'running', step: 'notify' }, signal(1, 20, 'notify')],
    ['that arrives before the run reached the wait (the runtime keeps it)', running({ step: 'notify' }), signal(1)],
    ['while the run rolls back', { ...untimed, status: 'compensating', step: 'reserve' }, signal(1)],
  ])('ignores a signal %s: same state object, no commands', (_label, before, event) => {
    const { state, commands } = transition(approval, before, event)
    expect(state).toBe(before)
    expect(commands).toEqual([])
  })
})

describe('signalTimedOut', () => {
  const timeoutError = { name: 'DurableError', code: 'SIGNAL_TIMEOUT', message: expect.stringContaining('"approve"'), retryable: false }

  // The runtime sends signalTimedOut only once `timeoutAt` passed. The wait's start is not
  // journaled, so a replay cannot check the time again: core trusts the event.
  it('fails a wait that has a timeout whenever the timeout is reported', () => {
    expect(transition(approval, waiting, timedOut(3000)).state).toMatchObject({ status: 'compensating', error: { code: 'SIGNAL_TIMEOUT' } })
  })

  it('is ignored by a wait without a timeout, however late', () => {
    const open: RunState = { ...untimed, step: 'approve' }
    expect(transition(patient, open, timedOut(1e7)).state).toBe(open)
  })

  it.each([3610, 3611, 99_999])('fails the wait with SIGNAL_TIMEOUT %i s after T0 and compensates the earlier steps', (seconds) => {
    const { state, commands } = transition(approval, waiting, timedOut(seconds))
    expect(state).toEqual({
      status: 'compensating',
      step: 'reserve',
      attempt: 1,
      attempts: 3,
      error: { message: expect.stringContaining('approve'), code: 'SIGNAL_TIMEOUT', step: 'approve' },
      failedAt: { step: 'approve', attempt: 1 },
    })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'approve', stepName: 'approve', kind: 'step_failed', attempt: 1, error: timeoutError } },
      { type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 },
    ])
  })

  it('then fails the run with { message, code: SIGNAL_TIMEOUT, step } once the rollback is done', () => {
    const rolling = transition(approval, waiting, timedOut(3610)).state
    const { state, commands } = transition(approval, rolling, { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(3611) })
    expect(state.status).toBe('failed')
    expect(commands.at(-1)).toEqual({ type: 'failRun', error: { message: rolling.error!.message, code: 'SIGNAL_TIMEOUT', step: 'approve' } })
  })

  it('fails the run at once when no earlier step has a compensator', () => {
    const workflow = defineWorkflow('w').step('a', noop).waitForSignal('approve', { timeout: '1s' })
    const { state, commands } = transition(workflow, { ...waiting, step: 'approve', cursor: timer(at(5)) }, timedOut(5))
    expect(state).toMatchObject({ status: 'failed', error: { code: 'SIGNAL_TIMEOUT', step: 'approve' } })
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'failRun'])
  })

  it('is ignored after the signal was received, and for another wait', () => {
    const received = transition(approval, waiting, signal(1)).state
    expect(transition(approval, received, timedOut(4000)).state).toBe(received)
    expect(transition(approval, waiting, timedOut(4000, 'other')).state).toBe(waiting)
  })
})

describe('.waitForSignal in the builder', () => {
  it.each<[string, unknown]>([
    ['0', 0],
    ['0 s', '0s'],
    ['a negative number', -1_000],
    ['an unparseable string', 'soon'],
    ['NaN', Number.NaN],
  ])('refuses a timeout of %s with INVALID_DEFINITION', (_label, timeout) => {
    expectDurableError(() => defineWorkflow('w').waitForSignal('approve', { timeout: timeout as never }), 'INVALID_DEFINITION', /timeout of step "approve"/)
  })

  it('refuses options that are not an object', () => {
    expectDurableError(() => defineWorkflow('w').waitForSignal('approve', null as never), 'INVALID_DEFINITION')
  })

  it('stores the timeout in milliseconds, or none', () => {
    expect(defineWorkflow('w').waitForSignal('approve', { timeout: '7d' }).steps[0]).toEqual({
      kind: 'waitForSignal',
      name: 'approve',
      key: 'approve',
      timeoutMs: 604_800_000,
      compensation: undefined,
    })
    expect(defineWorkflow('w').waitForSignal('approve').steps[0]).toMatchObject({ timeoutMs: undefined })
  })

  it('refuses a wait named like an earlier step', () => {
    expectDurableError(() => defineWorkflow('w').step('approve', noop).waitForSignal('approve'), 'DUPLICATE_STEP')
  })
})
