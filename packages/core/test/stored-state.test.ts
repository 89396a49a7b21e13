import { describe, expect, it } from 'vitest'
import { defineWorkflow, stateFromStore, storedState, timerOf, transition, type RunEvent, type RunState, type StoredState, type Workflow } from '@durable/core'
import { at, boom, noop, timer } from './transition-fixtures.js'

// a → rest (1 h) → approve (signal, 1 h timeout) → notify { email (undo), sms (2 tries, 1 s apart, undo 2 tries 1 s apart) } → poll (loop, 5 s apart)
const flow = defineWorkflow('flow')
  .step('a', noop, { backoff: () => '2s' })
  .sleep('rest', '1h')
  .waitForSignal('approve', { timeout: '1h' })
  .parallel('notify', {
    email: { handler: noop, compensate: noop },
    sms: { handler: noop, maxAttempts: 2, backoff: () => '1s', compensate: { handler: noop, maxAttempts: 2, backoff: () => '1s' } },
  })
  .loop('poll', noop, { until: () => false, maxIterations: 5, delay: '5s' })

/** Applies events in order from the start. */
function drive(workflow: Workflow, events: RunEvent[]): RunState {
  let state = transition(workflow, { status: 'pending', step: null, attempt: 1, attempts: 0, error: null }, { type: 'woken', at: at(0) }).state
  for (const event of events) state = transition(workflow, state, event).state
  return state
}

/** Reads a state column back with the status and error columns, as a store does. */
const read = (column: object, state: RunState): RunState => stateFromStore(JSON.parse(JSON.stringify(column)) as StoredState, state.status, state.error)

const sleeping = (): RunState =>
  drive(flow, [
    { type: 'stepCompleted', stepKey: 'a', attempt: 1, result: 1, at: at(1) },
    { type: 'timerStarted', stepKey: 'rest', until: at(3601), at: at(1) },
  ])
/** Waiting for "approve" since the sleep ended, until T0 + 7201 s. */
const approving = (): RunState => transition(flow, sleeping(), { type: 'woken', at: at(3601) }).state
/** At "notify", both branches running. */
const inParallel = (): RunState => transition(flow, approving(), { type: 'signalReceived', stepKey: 'approve', payload: true, at: at(3700) }).state

describe('storedState', () => {
  it('holds no due time of the run: a node’s timer is in its cursor, the wake time is the row’s', () => {
    const backoff = drive(flow, [{ type: 'stepFailed', stepKey: 'a', attempt: 1, error: boom, at: at(10) }])
    const smsBackoff = transition(flow, inParallel(), { type: 'stepFailed', stepKey: 'notify.sms', attempt: 1, error: boom, at: at(3701) }).state
    const states: Array<[string, RunState]> = [
      ['a retry backoff', backoff],
      ['a sleep', sleeping()],
      ['a signal wait with a timeout', approving()],
      ['a parallel branch in backoff', smsBackoff],
    ]
    expect(timerOf(backoff)).toBe(at(12))
    for (const [label, state] of states) {
      const stored = storedState(state)
      expect(Object.keys(stored), label).not.toContain('dueAt')
      expect(JSON.stringify(stored), label).not.toMatch(/"dueAt"/)
      expect(read(stored, state), label).toEqual(state)
    }
  })
})

describe('stateFromStore of a state written with a run-level dueAt', () => {
  it('reads a sleeping run’s dueAt as the sleep’s timer: it wakes at the end, not before', () => {
    const legacy = { status: 'waiting', step: 'rest', attempt: 1, dueAt: at(3601), attempts: 1, error: null }
    const state = read(legacy, sleeping())
    expect(state).toEqual(sleeping())
    expect(transition(flow, state, { type: 'woken', at: at(3600) }).commands).toEqual([{ type: 'scheduleWake', at: at(3601) }])
    const fired = transition(flow, state, { type: 'woken', at: at(3601) })
    expect(fired.commands.map((c) => c.type)).toEqual(['appendJournal', 'awaitSignal'])
    expect(fired.state).toMatchObject({ status: 'waiting', step: 'approve', cursor: timer(at(7201)) })
  })

  it('reads a retry backoff as the step’s timer: attempt 2 runs once it passed', () => {
    const legacy = { status: 'running', step: 'a', attempt: 2, dueAt: at(12), attempts: 1, error: null }
    const expected = drive(flow, [{ type: 'stepFailed', stepKey: 'a', attempt: 1, error: boom, at: at(10) }])
    const state = read(legacy, expected)
    expect(state).toEqual(expected)
    expect(transition(flow, state, { type: 'woken', at: at(11) }).commands).toEqual([{ type: 'scheduleWake', at: at(12) }])
    const due = transition(flow, state, { type: 'woken', at: at(12) })
    expect(due.commands).toEqual([{ type: 'runStep', stepKey: 'a', stepName: 'a', attempt: 2 }])
    expect(timerOf(due.state)).toBeNull()
  })

  it('reads a signal wait’s dueAt as its timeout: a signal, a wake-up and the timeout act as before', () => {
    const legacy = { status: 'waiting', step: 'approve', attempt: 1, dueAt: at(7201), attempts: 1, error: null }
    const state = read(legacy, approving())
    expect(state).toEqual(approving())
    expect(state.cursor).toEqual(timer(at(7201)))
    expect(transition(flow, state, { type: 'woken', at: at(3650) }).commands).toEqual([{ type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: at(7201) }])
    const signalled = transition(flow, state, { type: 'signalReceived', stepKey: 'approve', payload: true, at: at(3700) })
    expect(signalled.state).toEqual(inParallel())
    expect(timerOf(signalled.state)).toBeNull()
    const timedOut = transition(flow, state, { type: 'signalTimedOut', stepKey: 'approve', at: at(7201) })
    expect(timedOut.state).toMatchObject({ status: 'failed', error: { code: 'SIGNAL_TIMEOUT', step: 'approve' }, failedAt: { step: 'approve', attempt: 1 } })
    expect(timedOut.state.cursor).toBeUndefined()
  })

  it('reads a parallel branch’s dueAt as its notBefore, and drops the run-level copy of it', () => {
    const legacy = {
      status: 'running',
      step: 'notify',
      attempt: 1,
      dueAt: at(3702),
      attempts: 3,
      error: null,
      cursor: { kind: 'parallel', branches: { email: { attempt: 1, dueAt: null, outcome: 'completed' }, sms: { attempt: 2, dueAt: at(3702) } } },
    }
    const expected = [
      { type: 'stepFailed', stepKey: 'notify.sms', attempt: 1, error: boom, at: at(3701) },
      { type: 'stepCompleted', stepKey: 'notify.email', attempt: 1, result: 'sent', at: at(3701) },
    ].reduce<RunState>((state, event) => transition(flow, state, event as RunEvent).state, inParallel())
    const state = read(legacy, expected)
    expect(state).toEqual(expected)
    expect(state.cursor).toEqual({ kind: 'parallel', branches: { email: { attempt: 1, outcome: 'completed' }, sms: { attempt: 2, notBefore: at(3702) } } })
    expect(timerOf(state)).toBeNull()
    expect(transition(flow, state, { type: 'woken', at: at(3701.5) }).commands).toEqual([{ type: 'scheduleWake', at: at(3702) }])
    expect(transition(flow, state, { type: 'woken', at: at(3702) }).commands).toEqual([{ type: 'runStep', stepKey: 'notify.sms', stepName: 'notify', attempt: 2 }])
  })

  it('reads a branch compensator’s backoff, a loop’s delay and the branches a failure kept', () => {
    const compensating = read(
      {
        step: 'notify',
        attempt: 2,
        dueAt: at(40),
        attempts: 6,
        cursor: {
          kind: 'parallel',
          branches: { email: { attempt: 1, dueAt: null, outcome: 'failed' }, sms: { attempt: 1, dueAt: null, outcome: 'completed' } },
          compensating: 'sms',
        },
        failedAt: {
          step: 'notify',
          attempt: 1,
          cursor: { kind: 'parallel', branches: { sms: { attempt: 1, dueAt: null, outcome: 'completed' }, email: { attempt: 3, dueAt: at(9) } } },
        },
      },
      { status: 'compensating', error: { message: 'boom', step: 'notify.email' } } as RunState,
    )
    expect(compensating.cursor).toEqual({
      kind: 'parallel',
      branches: { email: { attempt: 1, outcome: 'failed' }, sms: { attempt: 1, outcome: 'completed' } },
      compensating: 'sms',
      notBefore: at(40),
    })
    expect(compensating.failedAt?.cursor).toEqual({ kind: 'parallel', branches: { sms: { attempt: 1, outcome: 'completed' }, email: { attempt: 3, notBefore: at(9) } } })
    expect(transition(flow, compensating, { type: 'woken', at: at(39) }).commands).toEqual([{ type: 'scheduleWake', at: at(40) }])
    expect(transition(flow, compensating, { type: 'woken', at: at(40) }).commands).toEqual([{ type: 'runCompensation', stepKey: 'notify.sms', stepName: 'notify', attempt: 2 }])

    const looping = read({ step: 'poll', attempt: 1, dueAt: at(70), attempts: 9, cursor: { kind: 'loop', iteration: 2 } }, { status: 'running', error: null } as RunState)
    expect(looping.cursor).toEqual({ kind: 'loop', iteration: 2, notBefore: at(70) })
    expect(transition(flow, looping, { type: 'woken', at: at(70) }).commands).toEqual([{ type: 'runStep', stepKey: 'poll#2', stepName: 'poll', attempt: 1, iteration: 2 }])
  })

  it('adds no timer where the old dueAt was null, and keeps a child’s cursor', () => {
    expect(read({ step: 'a', attempt: 1, dueAt: null, attempts: 0 }, { status: 'running', error: null } as RunState)).toEqual({
      status: 'running',
      step: 'a',
      attempt: 1,
      attempts: 0,
      error: null,
    })
    const child = read({ step: 'sub', attempt: 1, dueAt: null, attempts: 2, cursor: { kind: 'child', runId: 'r_1' } }, { status: 'waiting', error: null } as RunState)
    expect(child.cursor).toEqual({ kind: 'child', runId: 'r_1' })
    expect(child).not.toHaveProperty('dueAt')
  })
})
