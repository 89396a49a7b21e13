import { describe, expect, it } from 'vitest'
import {
  defineWorkflow,
  eventOf,
  initialState,
  replay,
  RUN_KEY,
  transition,
  type Command,
  type JournaledRecord,
  type RunEvent,
  type RunState,
  type Workflow,
  timerOf,
} from '@durable/core'
import { at, boom, noop, running, timer } from './transition-fixtures.js'

/** reserve (undo) → notify { email (undo), sms (undo) } → charge (undo) → approve (signal) → cool-off (sleep 1 h) → invoice (child) → ship. */
const invoice = defineWorkflow('invoice').step('bill', noop)
const order = defineWorkflow('order')
  .step('reserve', noop, { compensate: noop })
  .parallel('notify', { email: { handler: noop, compensate: noop }, sms: { handler: noop, compensate: noop } })
  .step('charge', noop, { compensate: noop, maxAttempts: 2 })
  .waitForSignal('approve')
  .sleep('cool-off', '1h')
  .child('invoice', invoice, () => ({}))
  .step('ship', noop)

const deadline = (seconds: number): RunEvent => ({ type: 'deadlinePassed', at: at(seconds) })
const claimedLate = (seconds: number, extra: Partial<Extract<RunEvent, { type: 'claimed' }>> = {}): RunEvent => ({
  type: 'claimed',
  at: at(seconds),
  previousLeaseExpired: false,
  deadlinePassed: true,
  ...extra,
})
const timedOutEntry = { type: 'appendJournal', entry: { stepKey: RUN_KEY, stepName: RUN_KEY, kind: 'run_timed_out', attempt: 1 } }
const undo = (step: string): Command => ({ type: 'runCompensation', stepKey: step, stepName: step.split('.')[0]!, attempt: 1 })
const timedOut = { code: 'RUN_TIMED_OUT', message: expect.stringContaining('timed out') }

/** A run at `step`, every node before it done. */
const at_ = (step: string, fields: Partial<RunState> = {}): RunState => running({ step, attempts: 4, ...fields })

/** Applies events in order; returns the last transition and the journal written, each entry at its event's time. */
function play(workflow: Workflow, state: RunState, events: readonly RunEvent[]) {
  const journal: JournaledRecord[] = []
  let last = { state, commands: [] as readonly Command[] }
  for (const event of events) {
    last = transition(workflow, last.state, event)
    for (const c of last.commands) if (c.type === 'appendJournal') journal.push({ ...c.entry, createdAt: event.at })
  }
  return { ...last, journal }
}

describe('deadlinePassed', () => {
  it('stops a running step: journals run_timed_out under "$run", compensates the completed steps in reverse and ends failed', () => {
    const first = transition(order, at_('ship'), deadline(100))
    expect(first.state).toMatchObject({ status: 'compensating', step: 'charge', error: timedOut })
    expect(timerOf(first.state)).toBeNull()
    expect(first.state.error?.message).toContain('"ship"')
    expect(first.commands).toEqual([timedOutEntry, undo('charge')])
    const late = transition(order, first.state, { type: 'stepCompleted', stepKey: 'ship', attempt: 1, result: 1, at: at(101) })
    expect(late.state).toBe(first.state)
    const rest = play(order, first.state, [
      { type: 'compensationCompleted', stepKey: 'charge', attempt: 1, at: at(102) },
      { type: 'compensationCompleted', stepKey: 'notify.sms', attempt: 1, at: at(103) },
      { type: 'compensationCompleted', stepKey: 'notify.email', attempt: 1, at: at(104) },
      { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(105) },
    ])
    expect(rest.state).toMatchObject({ status: 'failed', error: timedOut })
    expect(rest.state.failedAt).toBeUndefined()
    expect(rest.commands.at(-1)).toEqual({ type: 'failRun', error: first.state.error })
    expect(rest.journal.map((e) => `${e.kind} ${e.stepKey}`)).toEqual(['compensated charge', 'compensated notify.sms', 'compensated notify.email', 'compensated reserve'])
  })

  it('stops a step waiting out its backoff: the retry never starts', () => {
    const backingOff = at_('charge', { attempt: 2, cursor: timer(at(30)), attempts: 3 })
    const { state, commands } = transition(order, backingOff, deadline(10))
    expect(state).toMatchObject({ status: 'compensating', step: 'notify' })
    expect(timerOf(state)).toBeNull()
    expect(commands.filter((c) => c.type === 'runStep')).toEqual([])
  })

  it('stops a sleep when the claim at the deadline finds it passed, before the sleep ends', () => {
    const asleep = at_('cool-off', { status: 'waiting', cursor: timer(at(3600)) })
    const { state, commands } = transition(order, asleep, claimedLate(600))
    expect(state).toMatchObject({ status: 'compensating', step: 'charge', error: timedOut })
    expect(commands).toEqual([timedOutEntry, undo('charge')])
    // The timer's own wake-up later finds a rollback, not a sleep to end.
    expect(transition(order, state, { type: 'woken', at: at(3600) }).commands).toEqual([undo('charge')])
  })

  it('stops a wait for a signal and ignores the signal that comes after', () => {
    const waiting = at_('approve', { status: 'waiting' })
    const { state } = transition(order, waiting, claimedLate(50))
    expect(state).toMatchObject({ status: 'compensating', step: 'charge', error: timedOut })
    expect(transition(order, state, { type: 'signalReceived', stepKey: 'approve', payload: 1, at: at(51) }).state).toBe(state)
  })

  it('cancels the child run the run waits for, then rolls back', () => {
    const waiting = at_('invoice', { status: 'waiting', cursor: { kind: 'child', runId: 'child-1' } })
    const { state, commands } = transition(order, waiting, claimedLate(50))
    expect(commands).toEqual([timedOutEntry, { type: 'cancelChild', stepKey: 'invoice', childRunId: 'child-1' }, undo('charge')])
    expect(state.cursor).toBeUndefined()
    expect(transition(order, state, { type: 'childCompleted', stepKey: 'invoice', result: 1, at: at(51) }).state).toBe(state)
  })

  it('stops a parallel node: branches not done stop, the done ones are compensated', () => {
    const inFlight: RunState = running({
      step: 'notify',
      attempts: 2,
      cursor: { kind: 'parallel', branches: { email: { attempt: 1, outcome: 'completed' }, sms: { attempt: 1 } } },
    })
    const { state, commands } = transition(order, inFlight, deadline(5))
    expect(state).toMatchObject({ status: 'compensating', step: 'notify', cursor: { kind: 'parallel', compensating: 'email' } })
    expect(state.cursor?.kind === 'parallel' && state.cursor.branches?.sms).toMatchObject({ outcome: 'stopped' })
    expect(commands).toEqual([timedOutEntry, undo('notify.email')])
    const late = transition(order, state, { type: 'stepCompleted', stepKey: 'notify.sms', attempt: 1, result: 1, at: at(6) })
    expect(late.state).toBe(state)
    const next = transition(order, state, { type: 'compensationCompleted', stepKey: 'notify.email', attempt: 1, at: at(7) })
    expect(next.commands.at(-1)).toEqual(undo('reserve'))
  })

  it('changes nothing while a failure is rolled back already: no second rollback', () => {
    const failed = transition(order, at_('ship', { attempt: 3 }), { type: 'stepFailed', stepKey: 'ship', attempt: 3, error: { ...boom, retryable: false }, at: at(10) }).state
    expect(failed).toMatchObject({ status: 'compensating', step: 'charge' })
    expect(transition(order, failed, deadline(11)).state).toBe(failed)
    // A claim at the deadline carries on with the rollback.
    const claimed = transition(order, failed, claimedLate(12))
    expect(claimed.state.error).toEqual(failed.error)
    expect(claimed.commands).toEqual([undo('charge')])
  })

  it('changes nothing while a cancel is rolled back: the run still ends cancelled', () => {
    const cancelled = transition(order, at_('ship'), { type: 'cancelRequested', reason: 'stop', at: at(10) }).state
    expect(transition(order, cancelled, deadline(11)).state).toBe(cancelled)
    const end = play(order, cancelled, [
      deadline(11),
      ...['charge', 'notify.sms', 'notify.email', 'reserve'].map((key, i): RunEvent => ({ type: 'compensationCompleted', stepKey: key, attempt: 1, at: at(12 + i) })),
    ])
    expect(end.state).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED' } })
    expect(end.journal.filter((e) => e.kind === 'run_timed_out')).toEqual([])
  })

  it('lets a cancel found at the same claim win over the deadline', () => {
    const { state, commands } = transition(order, at_('ship'), claimedLate(10, { cancel: { reason: 'why' } }))
    expect(state.error).toMatchObject({ code: 'RUN_CANCELLED' })
    expect(commands[0]).toMatchObject({ entry: { kind: 'cancel_requested' } })
  })

  it('abandons the try a dead worker left instead of retrying it', () => {
    const { state, commands } = transition(order, at_('ship'), claimedLate(10, { previousLeaseExpired: true }))
    expect(state).toMatchObject({ status: 'compensating', attempts: 4, error: timedOut })
    expect(commands.filter((c) => c.type === 'appendJournal')).toEqual([timedOutEntry])
  })

  it('ends a run that never started failed at once: no step runs', () => {
    const { state, commands } = transition(order, initialState(order), claimedLate(0))
    expect(state).toMatchObject({ status: 'failed', step: 'reserve', error: timedOut })
    expect(commands).toEqual([timedOutEntry, { type: 'failRun', error: state.error }])
  })

  it('changes nothing after the run ended', () => {
    for (const status of ['completed', 'failed', 'cancelled'] as const) {
      const ended = running({ status, step: null, attempts: 7 })
      expect(transition(order, ended, deadline(100)).state).toBe(ended)
      expect(transition(order, ended, deadline(100)).commands).toEqual([])
    }
  })

  it('times a retried run out again when its deadline passed before the retry was claimed', () => {
    const failed = running({ status: 'failed', step: 'charge', attempts: 5, error: { message: 'boom', step: 'charge' }, failedAt: { step: 'charge', attempt: 2 }, compensated: {} })
    const { state, commands } = transition(order, failed, claimedLate(100))
    // The steps before the failed one were rolled back before the retry: nothing is left to undo.
    expect(state).toMatchObject({ status: 'failed', step: 'charge', error: timedOut })
    expect(commands.filter((c) => c.type === 'appendJournal').map((c) => c.type === 'appendJournal' && c.entry.kind)).toEqual(['run_retried', 'run_timed_out'])
    expect(commands.some((c) => c.type === 'runStep')).toBe(false)
  })
})

describe('replay of a timed-out run', () => {
  it('reads run_timed_out back as deadlinePassed', () => {
    expect(eventOf({ stepKey: RUN_KEY, stepName: RUN_KEY, kind: 'run_timed_out', attempt: 1, createdAt: at(9) })).toEqual({ type: 'deadlinePassed', at: at(9) })
  })

  it('rebuilds the live state after every entry, whether the deadline came mid-step or at a claim', () => {
    const saga = defineWorkflow('saga').step('reserve', noop, { compensate: noop }).step('charge', noop, { compensate: noop }).sleep('nap', '1h').step('ship', noop)
    const start: RunEvent[] = [
      { type: 'woken', at: at(0) },
      { type: 'stepCompleted', stepKey: 'reserve', attempt: 1, result: 'r', at: at(1) },
      { type: 'stepCompleted', stepKey: 'charge', attempt: 1, result: 'c', at: at(2) },
    ]
    const undoBoth: RunEvent[] = [
      { type: 'compensationCompleted', stepKey: 'charge', attempt: 1, at: at(4) },
      { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(5) },
    ]
    const lives = [
      [...start, deadline(3), ...undoBoth],
      [...start, { type: 'timerStarted', stepKey: 'nap', until: at(3602), at: at(2) } as RunEvent, claimedLate(3), ...undoBoth],
    ]
    for (const events of lives) {
      let state = initialState(saga)
      const journal: JournaledRecord[] = []
      for (const event of events) {
        const next = transition(saga, state, event)
        state = next.state
        for (const c of next.commands)
          if (c.type === 'appendJournal') {
            journal.push({ ...c.entry, createdAt: event.at })
            expect(replay(saga, journal), `after ${c.entry.kind}`).toEqual(state)
          }
      }
      expect(state).toMatchObject({ status: 'failed', error: timedOut })
      expect(replay(saga, journal)).toEqual(state)
      expect(journal.map((e) => e.kind)).toContain('run_timed_out')
    }
  })
})
