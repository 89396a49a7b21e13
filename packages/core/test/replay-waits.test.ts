import { describe, expect, it } from 'vitest'
import { defineWorkflow, eventOf, initialState, replay, transition, type JournaledRecord, type RunEvent, type RunState, type Workflow } from '@durable/core'
import { at, boom, noop } from './transition-fixtures.js'

interface Live {
  readonly journal: JournaledRecord[]
  /** The live state right after the event that wrote `journal[i]`. */
  readonly states: RunState[]
  readonly final: RunState
}

/** Applies `events` in order, journaling each entry at its event's time, as the runtime does. */
function live(workflow: Workflow, events: readonly RunEvent[]): Live {
  let state = initialState(workflow)
  const journal: JournaledRecord[] = []
  const states: RunState[] = []
  for (const event of events) {
    const result = transition(workflow, state, event)
    state = result.state
    for (const c of result.commands) {
      if (c.type !== 'appendJournal') continue
      journal.push({ ...c.entry, createdAt: event.at })
      states.push(state)
    }
  }
  return { journal, states, final: state }
}

function expectReplayToMatch(workflow: Workflow, run: Live): void {
  run.journal.forEach((_, i) => expect(replay(workflow, run.journal.slice(0, i + 1)), `after entry ${i} (${run.journal[i]!.kind})`).toEqual(run.states[i]))
  expect(replay(workflow, run.journal)).toEqual(run.final)
}

const napping = defineWorkflow('napping').step('reserve', noop, { compensate: noop }).sleep('nap', '1h').step('ship', noop)
const approval = defineWorkflow('approval').step('reserve', noop, { compensate: noop }).waitForSignal('approve', { timeout: '1h' }).step('ship', noop)
const completed = (stepKey: string, seconds: number): RunEvent => ({ type: 'stepCompleted', stepKey, attempt: 1, result: stepKey, at: at(seconds) })

describe('eventOf for the entries of waits, cancel and retry', () => {
  const entry = (fields: Partial<JournaledRecord>): JournaledRecord => ({ stepKey: 'approve', stepName: 'approve', kind: 'step_failed', attempt: 1, createdAt: at(5), ...fields })

  it('reads a failed signal wait as its timeout and a failed step as a failure', () => {
    expect(eventOf(entry({ error: boom }), approval)).toEqual({ type: 'signalTimedOut', stepKey: 'approve', at: at(5) })
    expect(eventOf(entry({ stepKey: 'reserve', stepName: 'reserve', error: boom }), approval)).toEqual({
      type: 'stepFailed',
      stepKey: 'reserve',
      attempt: 1,
      error: boom,
      at: at(5),
    })
  })

  it('reads timer, signal, cancel and retry entries back as the events that wrote them', () => {
    expect(eventOf(entry({ stepKey: 'nap', kind: 'timer_started', result: { until: at(99) } }))).toEqual({ type: 'timerStarted', stepKey: 'nap', until: at(99), at: at(5) })
    expect(eventOf(entry({ stepKey: 'nap', kind: 'timer_fired' }))).toEqual({ type: 'woken', at: at(5) })
    expect(eventOf(entry({ kind: 'signal_received', result: { ok: true } }))).toEqual({ type: 'signalReceived', stepKey: 'approve', payload: { ok: true }, at: at(5) })
    expect(eventOf(entry({ stepKey: '$run', kind: 'cancel_requested', result: 'why' }))).toEqual({ type: 'cancelRequested', reason: 'why', at: at(5) })
    expect(eventOf(entry({ stepKey: '$run', kind: 'cancel_requested', result: null }))).toEqual({ type: 'cancelRequested', at: at(5) })
    expect(eventOf(entry({ kind: 'run_retried', attempt: 2 }))).toEqual({ type: 'retryRequested', at: at(5) })
  })
})

describe('replay of runs with waits, cancels and retries', () => {
  it('rebuilds a sleep from timer_started and timer_fired', () => {
    const run = live(napping, [
      { type: 'woken', at: at(0) },
      completed('reserve', 1),
      { type: 'timerStarted', stepKey: 'nap', until: at(3601), at: at(2) },
      { type: 'woken', at: at(3601) },
      completed('ship', 3602),
    ])
    expect(run.journal.map((e) => e.kind)).toEqual(['step_completed', 'timer_started', 'timer_fired', 'step_completed'])
    expectReplayToMatch(napping, run)
  })

  it('rebuilds a received signal and a timed-out one that was retried', () => {
    const run = live(approval, [
      { type: 'woken', at: at(0) },
      completed('reserve', 1),
      { type: 'signalTimedOut', stepKey: 'approve', at: at(3601) },
      { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(3602) },
      { type: 'retryRequested', at: at(4000) },
      { type: 'signalReceived', stepKey: 'approve', payload: 'yes', at: at(4001) },
    ])
    expect(run.journal.map((e) => e.kind)).toEqual(['step_completed', 'step_failed', 'compensated', 'run_retried', 'signal_received'])
    expectReplayToMatch(approval, run)
  })

  it('rebuilds a run cancelled in its sleep', () => {
    const run = live(napping, [
      { type: 'woken', at: at(0) },
      completed('reserve', 1),
      { type: 'timerStarted', stepKey: 'nap', until: at(3601), at: at(2) },
      { type: 'cancelRequested', reason: 'changed my mind', at: at(30) },
      { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(31) },
    ])
    expect(run.final.status).toBe('cancelled')
    expectReplayToMatch(napping, run)
  })

  // The deadline of a first-node wait is set by the first `woken`, which writes no entry; replay
  // wakes the run at the time of the timeout's entry instead, so it sees a later deadline.
  it('rebuilds a run whose first node, a signal wait, timed out', () => {
    const workflow = defineWorkflow('w').waitForSignal('approve', { timeout: '10s' }).step('ship', noop)
    const run = live(workflow, [
      { type: 'woken', at: at(0) },
      { type: 'signalTimedOut', stepKey: 'approve', at: at(10) },
    ])
    expect(run.final).toMatchObject({ status: 'failed', error: { code: 'SIGNAL_TIMEOUT' } })
    expectReplayToMatch(workflow, run)
  })

  // The runtime applies a pending cancel before `woken`, so a sleep that is due but has not fired
  // is cancelled where it is; replay wakes the run before the cancel entry and fires the timer.
  it.each([
    ['its last node', defineWorkflow('w').step('reserve', noop, { compensate: noop }).sleep('nap', '5s'), 'compensating'],
    ['a node before a step, with nothing to compensate', defineWorkflow('w').step('reserve', noop).sleep('nap', '5s').step('ship', noop), 'cancelled'],
  ] as const)('rebuilds a run cancelled when a sleep, %s, was due but had not fired', (_label, workflow, status) => {
    const run = live(workflow, [
      { type: 'woken', at: at(0) },
      completed('reserve', 1),
      { type: 'timerStarted', stepKey: 'nap', until: at(6), at: at(2) },
      { type: 'cancelRequested', at: at(7) },
    ])
    expect(run.final).toMatchObject({ status, step: status === 'cancelled' ? 'nap' : 'reserve', error: { code: 'RUN_CANCELLED' } })
    expectReplayToMatch(workflow, run)
  })
})
