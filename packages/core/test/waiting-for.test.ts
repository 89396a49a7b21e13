import { describe, expect, it } from 'vitest'
import { defineWorkflow, initialState, transition, timerOf, waitingFor, workflowShape, type RunEvent, type RunState, type Workflow } from '@durable/core'
import { at, noop, running, timer } from './transition-fixtures.js'

/** Drives `workflow` from its initial state through `events`; the state after the last. */
function drive(workflow: Workflow, events: RunEvent[], from: RunState = initialState(workflow)): RunState {
  return events.reduce((state, event) => transition(workflow, state, event).state, from)
}

const woken = (seconds: number): RunEvent => ({ type: 'woken', at: at(seconds) })
const completed = (stepKey: string, seconds: number): RunEvent => ({ type: 'stepCompleted', stepKey, attempt: 1, result: null, at: at(seconds) })

const approval = defineWorkflow('approval').step('reserve', noop).waitForSignal('approved', { timeout: '1h' }).step('ship', noop)
const patient = defineWorkflow('patient').waitForSignal('approved').step('ship', noop)
const napper = defineWorkflow('napper').sleep('nap', '7d').step('wake', noop)
const invoice = defineWorkflow('invoice').step('render', noop)
const parent = defineWorkflow('parent')
  .child('invoice', invoice, () => ({}))
  .step('send', noop)
const fanOut = defineWorkflow('fan-out')
  .parallel('notify', { email: noop, sms: { handler: noop, backoff: () => '1m' } })
  .step('done', noop)
const routed = defineWorkflow('routed')
  .route('how', () => 'slow', { slow: (b) => b.sleep('later', '1m'), fast: (b) => b.waitForSignal('later-on') })
  .step('done', noop)

describe('waitingFor', () => {
  it('names the signal and its timeout while a run waits at waitForSignal', () => {
    const state = drive(approval, [woken(0), completed('reserve', 10)])
    expect(state.status).toBe('waiting')
    expect(waitingFor(state, approval)).toEqual({ kind: 'signal', name: 'approved', until: new Date(at(3610)) })
    // The recorded shape tells it as well as the definition.
    expect(waitingFor(state, workflowShape(approval))).toEqual({ kind: 'signal', name: 'approved', until: new Date(at(3610)) })
  })

  it('gives a signal wait without timeout no deadline, even without the definition', () => {
    const state = drive(patient, [woken(5)])
    expect(waitingFor(state, patient)).toEqual({ kind: 'signal', name: 'approved', until: null })
    expect(waitingFor(state)).toEqual({ kind: 'signal', name: 'approved', until: null })
  })

  it('says when a sleeping run wakes up', () => {
    const state = drive(napper, [woken(0), { type: 'timerStarted', stepKey: 'nap', until: at(604_800), at: at(0) }])
    expect(state.status).toBe('waiting')
    expect(waitingFor(state, napper)).toEqual({ kind: 'timer', until: new Date(at(604_800)) })
    expect(waitingFor(state, workflowShape(napper))).toEqual({ kind: 'timer', until: new Date(at(604_800)) })
  })

  it('reads a wait with a due time as its timer when neither the definition nor the shape is known', () => {
    const signalWithTimeout = drive(approval, [woken(0), completed('reserve', 10)])
    expect(waitingFor(signalWithTimeout)).toEqual({ kind: 'timer', until: new Date(at(3610)) })
    // A shape that lacks the step (another definition) tells nothing either.
    expect(waitingFor(signalWithTimeout, workflowShape(napper))).toEqual({ kind: 'timer', until: new Date(at(3610)) })
  })

  it('names the child run a parent waits for', () => {
    const started = transition(parent, drive(parent, [woken(0)]), { type: 'childStarted', stepKey: 'invoice', childRunId: '01CHILD', at: at(1) }).state
    expect(started.status).toBe('waiting')
    expect(waitingFor(started, parent)).toEqual({ kind: 'child', runId: '01CHILD' })
    expect(waitingFor(started)).toEqual({ kind: 'child', runId: '01CHILD' })
  })

  it('finds a wait inside a route branch by the shape', () => {
    const state = drive(routed, [woken(0), { type: 'routeSelected', stepKey: 'how', key: 'slow', at: at(1) }, { type: 'timerStarted', stepKey: 'later', until: at(61), at: at(1) }])
    expect(state).toMatchObject({ status: 'waiting', step: 'later' })
    // `later` and `later-on` share a prefix: only the whole name counts.
    expect(waitingFor(state, workflowShape(routed))).toEqual({ kind: 'timer', until: new Date(at(61)) })
    expect(waitingFor({ ...state, step: 'later-on', cursor: timer(at(99)) }, workflowShape(routed))).toEqual({ kind: 'signal', name: 'later-on', until: new Date(at(99)) })
  })

  it('is null for a run that is not waiting: pending, running, backing off in a parallel, ended', () => {
    expect(waitingFor(initialState(approval), approval)).toBeNull()
    expect(waitingFor(running(), approval)).toBeNull()
    const backingOff = drive(fanOut, [
      woken(0),
      completed('notify.email', 1),
      { type: 'stepFailed', stepKey: 'notify.sms', attempt: 1, error: { name: 'Error', message: 'busy', retryable: true }, at: at(2) },
    ])
    expect(backingOff).toMatchObject({ status: 'running', cursor: { kind: 'parallel', branches: { sms: { attempt: 2, notBefore: at(62) } } } })
    expect(timerOf(backingOff)).toBeNull()
    expect(waitingFor(backingOff, fanOut)).toBeNull()
    const done = drive(patient, [woken(0), { type: 'signalReceived', stepKey: 'approved', payload: 1, at: at(1) }, completed('ship', 2)])
    expect(done.status).toBe('completed')
    expect(waitingFor(done, patient)).toBeNull()
    const cancelled = drive(patient, [woken(0), { type: 'cancelRequested', at: at(1) }])
    expect(cancelled.status).toBe('cancelled')
    expect(waitingFor(cancelled, patient)).toBeNull()
  })
})
