import { describe, expect, it } from 'vitest'
import { defineWorkflow, initialState, RUN_KEY, transition, type JournalRecord, type RunEvent, type RunState, type Workflow, timerOf } from '@durable/core'
import { at, boom, linear, noop, running, saga, timer } from './transition-fixtures.js'

/** reserve (undo) → notify → charge (undo: 2 tries) → approve (signal, 1 h) → cool-off (sleep 1 h) → ship (3 tries, 1 s apart). */
const order = defineWorkflow('order')
  .step('reserve', noop, { compensate: noop })
  .step('notify', noop)
  .step('charge', noop, { compensate: { handler: noop, maxAttempts: 2, backoff: () => '1s' } })
  .waitForSignal('approve', { timeout: '1h' })
  .sleep('cool-off', '1h')
  .step('ship', noop, { maxAttempts: 3, backoff: () => '1s' })
/** reserve → charge (3 tries, 1 s apart), no compensators. */
const flaky = defineWorkflow('flaky')
  .step('reserve', noop)
  .step('charge', noop, { maxAttempts: 3, backoff: () => '1s' })

const cancel = (seconds: number, reason?: string): RunEvent => ({ type: 'cancelRequested', ...(reason !== undefined ? { reason } : {}), at: at(seconds) })
const retry = (seconds: number): RunEvent => ({ type: 'retryRequested', at: at(seconds) })
const cancelEntry = (result: string | null): JournalRecord => ({ stepKey: RUN_KEY, stepName: RUN_KEY, kind: 'cancel_requested', attempt: 1, result })
const onShip = running({ step: 'ship', attempts: 3 })

describe('cancelRequested', () => {
  it('journals cancel_requested under "$run", compensates the completed steps in reverse and ends cancelled', () => {
    const first = transition(order, onShip, cancel(100, 'customer asked'))
    const error = { message: expect.stringContaining('customer asked'), code: 'RUN_CANCELLED' }
    expect(RUN_KEY).toBe('$run')
    expect(first.state).toMatchObject({ status: 'compensating', step: 'charge', attempt: 1, error })
    expect(timerOf(first.state)).toBeNull()
    expect(first.commands).toEqual([
      { type: 'appendJournal', entry: cancelEntry('customer asked') },
      { type: 'runCompensation', stepKey: 'charge', stepName: 'charge', attempt: 1 },
    ])
    const second = transition(order, first.state, { type: 'compensationCompleted', stepKey: 'charge', attempt: 1, at: at(101) })
    expect(second.commands.at(-1)).toEqual({ type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 })
    const last = transition(order, second.state, { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(102) })
    expect(last.state).toMatchObject({ status: 'cancelled', error })
    expect(last.commands.at(-1)).toEqual({ type: 'failRun', error: first.state.error })
  })

  it('journals a null reason when none is given and still says the run was cancelled', () => {
    const { state, commands } = transition(order, onShip, cancel(100))
    expect(commands[0]).toEqual({ type: 'appendJournal', entry: cancelEntry(null) })
    expect(state.error).toEqual({ message: expect.stringMatching(/cancel/), code: 'RUN_CANCELLED' })
  })

  it('ends cancelled at once when no completed step has a compensator', () => {
    const { state, commands } = transition(linear, running({ step: 'ship', attempts: 2 }), cancel(5, 'stop'))
    expect(state).toMatchObject({ status: 'cancelled', step: 'ship', error: { code: 'RUN_CANCELLED' } })
    expect(timerOf(state)).toBeNull()
    expect(commands).toEqual([
      { type: 'appendJournal', entry: cancelEntry('stop') },
      { type: 'failRun', error: state.error },
    ])
  })

  it('ends cancelled at once when the run has not started', () => {
    const { state, commands } = transition(order, initialState(order), cancel(0))
    expect(state).toMatchObject({ status: 'cancelled', step: 'reserve', error: { code: 'RUN_CANCELLED' } })
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'failRun'])
  })

  it('stops a wait for a signal and ignores the signal that comes after', () => {
    const awaiting: RunState = { status: 'waiting', step: 'approve', attempt: 1, cursor: timer(at(3600)), attempts: 3, error: null }
    const { state, commands } = transition(order, awaiting, cancel(10))
    expect(state).toMatchObject({ status: 'compensating', step: 'charge' })
    expect(timerOf(state)).toBeNull()
    expect(commands.at(-1)).toEqual({ type: 'runCompensation', stepKey: 'charge', stepName: 'charge', attempt: 1 })
    const late = transition(order, state, { type: 'signalReceived', stepKey: 'approve', payload: 1, at: at(11) })
    expect(late.state).toBe(state)
    expect(late.commands).toEqual([])
  })

  it('stops a sleep: waking at the end of the sleep compensates instead of firing the timer', () => {
    const asleep: RunState = { status: 'waiting', step: 'cool-off', attempt: 1, cursor: timer(at(3600)), attempts: 3, error: null }
    const { state } = transition(order, asleep, cancel(10))
    expect(state).toMatchObject({ status: 'compensating', step: 'charge' })
    expect(timerOf(state)).toBeNull()
    expect(transition(order, state, { type: 'woken', at: at(3600) }).commands).toEqual([{ type: 'runCompensation', stepKey: 'charge', stepName: 'charge', attempt: 1 }])
  })

  it('stops a step waiting for its retry and ignores the late outcome of the step that was running', () => {
    const { state } = transition(order, { ...onShip, attempt: 2, cursor: timer(at(30)) }, cancel(10))
    expect(state).toMatchObject({ status: 'compensating', step: 'charge' })
    expect(timerOf(state)).toBeNull()
    expect(transition(order, state, { type: 'stepCompleted', stepKey: 'ship', attempt: 2, result: 1, at: at(31) }).state).toBe(state)
  })

  it('still ends cancelled when a compensator fails for good', () => {
    const rolling = transition(order, onShip, cancel(100)).state
    const failedOnce = transition(order, rolling, { type: 'compensationFailed', stepKey: 'charge', attempt: 1, error: boom, at: at(101) }).state
    // As woken once the backoff passed: the compensator's timer is over.
    const { cursor: _, ...due } = failedOnce
    const gaveUp = transition(order, due, { type: 'compensationFailed', stepKey: 'charge', attempt: 2, error: boom, at: at(103) })
    expect(gaveUp.commands.at(-1)).toEqual({ type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 })
    const done = transition(order, gaveUp.state, { type: 'compensationCompleted', stepKey: 'reserve', attempt: 1, at: at(104) })
    expect(done.state).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED' } })
  })

  it.each<[string, RunState]>([
    ['rolling back a failure', { status: 'compensating', step: 'reserve', attempt: 1, attempts: 4, error: { message: 'boom', step: 'ship' } }],
    ['rolling back an earlier cancel', { status: 'compensating', step: 'reserve', attempt: 1, attempts: 4, error: { message: 'run cancelled', code: 'RUN_CANCELLED' } }],
    ['cancelled', { status: 'cancelled', step: 'reserve', attempt: 1, attempts: 4, error: { message: 'run cancelled', code: 'RUN_CANCELLED' } }],
    ['completed', { status: 'completed', step: null, attempt: 1, attempts: 4, error: null }],
    ['failed', { status: 'failed', step: 'reserve', attempt: 1, attempts: 4, error: { message: 'boom', step: 'ship' }, failedAt: { step: 'ship', attempt: 3 } }],
  ])('leaves a run that is already %s unchanged', (_label, before) => {
    const { state, commands } = transition(order, before, cancel(200, 'again'))
    expect(state).toBe(before)
    expect(commands).toEqual([])
  })
})

describe('retryRequested', () => {
  /** charge failed its 3rd and last attempt. */
  const failed = transition(flaky, running({ step: 'charge', attempt: 3, attempts: 3 }), { type: 'stepFailed', stepKey: 'charge', attempt: 3, error: boom, at: at(10) }).state

  it('resumes a failed run at the failed step with the next attempt number and a cleared error', () => {
    expect(failed).toMatchObject({ status: 'failed', failedAt: { step: 'charge', attempt: 3 } })
    const { state, commands } = transition(flaky, failed, retry(60))
    expect(state).toMatchObject({ status: 'running', step: 'charge', attempt: 4, attemptOffset: 3, attempts: 4, error: null })
    expect(timerOf(state)).toBeNull()
    expect(state).not.toHaveProperty('failedAt')
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'charge', stepName: 'charge', kind: 'run_retried', attempt: 4 } },
      { type: 'runStep', stepKey: 'charge', stepName: 'charge', attempt: 4 },
    ])
  })

  it('gives the step a fresh budget: with maxAttempts 3, attempts 4 and 5 are retried and 6 is the last', () => {
    let state = transition(flaky, failed, retry(60)).state
    for (const attempt of [4, 5]) {
      const next = transition(flaky, state, { type: 'stepFailed', stepKey: 'charge', attempt, error: boom, at: at(60 + attempt) })
      expect(next.state).toMatchObject({ status: 'running', attempt: attempt + 1, cursor: timer(at(61 + attempt)) })
      expect(next.commands.at(-1)).toEqual({ type: 'scheduleWake', at: at(61 + attempt) })
      state = transition(flaky, next.state, { type: 'woken', at: at(61 + attempt) }).state
    }
    const last = transition(flaky, state, { type: 'stepFailed', stepKey: 'charge', attempt: 6, error: boom, at: at(70) })
    expect(last.state).toMatchObject({ status: 'failed', failedAt: { step: 'charge', attempt: 6 }, error: { message: 'boom', step: 'charge' } })
    expect(last.commands.at(-1)).toEqual({ type: 'failRun', error: { message: 'boom', step: 'charge' } })
  })

  it('forgets the retry offset once the retried step completes: the next step starts at attempt 1', () => {
    const resumed = transition(flaky, failed, retry(60)).state
    const { state, commands } = transition(flaky, resumed, { type: 'stepCompleted', stepKey: 'charge', attempt: 4, result: 'ok', at: at(61) })
    expect(state).toMatchObject({ status: 'completed', step: null, attempt: 1, attempts: 5, error: null })
    expect(timerOf(state)).toBeNull()
    expect(state).not.toHaveProperty('attemptOffset')
    expect(commands.map((c) => c.type)).toEqual(['appendJournal', 'completeRun'])
  })

  it('re-enters a signal wait that timed out, with a new deadline counted from the retry', () => {
    const workflow = defineWorkflow('w').step('a', noop).waitForSignal('approve', { timeout: '1h' })
    const awaiting: RunState = { status: 'waiting', step: 'approve', attempt: 1, cursor: timer(at(3600)), attempts: 1, error: null }
    const timedOut = transition(workflow, awaiting, { type: 'signalTimedOut', stepKey: 'approve', at: at(3600) }).state
    expect(timedOut).toMatchObject({ status: 'failed', error: { code: 'SIGNAL_TIMEOUT' } })
    const { state, commands } = transition(workflow, timedOut, retry(5000))
    expect(state).toMatchObject({ status: 'waiting', step: 'approve', attempt: 2, cursor: timer(at(8600)), error: null })
    expect(commands).toEqual([
      { type: 'appendJournal', entry: { stepKey: 'approve', stepName: 'approve', kind: 'run_retried', attempt: 2 } },
      { type: 'awaitSignal', stepKey: 'approve', stepName: 'approve', timeoutAt: at(8600) },
    ])
    const received = transition(workflow, state, { type: 'signalReceived', stepKey: 'approve', payload: 'yes', at: at(5001) })
    expect(received.commands[0]).toMatchObject({ entry: { kind: 'signal_received', attempt: 2, result: 'yes' } })
  })

  it.each<[string, RunState]>([
    ['running', running({ step: 'charge' })],
    ['waiting', { status: 'waiting', step: 'charge', attempt: 1, attempts: 1, error: null }],
    ['pending', initialState(flaky)],
    ['completed', { status: 'completed', step: null, attempt: 1, attempts: 2, error: null }],
    ['cancelled', { status: 'cancelled', step: 'charge', attempt: 1, attempts: 1, error: { message: 'run cancelled', code: 'RUN_CANCELLED' } }],
    ['rolling back', { status: 'compensating', step: 'reserve', attempt: 1, attempts: 1, error: { message: 'boom' }, failedAt: { step: 'charge', attempt: 1 } }],
    ['failed with no record of where it failed', { status: 'failed', step: 'charge', attempt: 1, attempts: 1, error: { message: 'boom' } }],
  ])('leaves a run that is %s unchanged', (_label, before) => {
    const { state, commands } = transition(flaky, before, retry(99))
    expect(state).toBe(before)
    expect(commands).toEqual([])
  })

  it('ignores a second retryRequested once the run has resumed', () => {
    const resumed = transition(flaky, failed, retry(60)).state
    expect(transition(flaky, resumed, retry(61)).state).toBe(resumed)
  })
})

/**
 * Plays a run to its end: every try succeeds unless `fails(stepKey, attempt)`, and then fails for
 * good; compensators succeed; a failed run is retried up to `retries` times. Returns the journal.
 */
function playWithRetries(workflow: Workflow, fails: (stepKey: string, attempt: number) => boolean, retries: number): JournalRecord[] {
  let state = initialState(workflow)
  let clock = 0
  let left = retries
  const journal: JournalRecord[] = []
  const queue: RunEvent[] = [{ type: 'woken', at: at(clock) }]
  for (let n = 0; queue.length > 0 && n < 100; n++) {
    const { state: next, commands } = transition(workflow, state, queue.shift()!)
    state = next
    for (const c of commands) {
      const now = at(++clock)
      if (c.type === 'appendJournal') journal.push(c.entry)
      if (c.type === 'runStep' && fails(c.stepKey, c.attempt))
        queue.push({ type: 'stepFailed', stepKey: c.stepKey, attempt: c.attempt, error: { ...boom, retryable: false }, at: now })
      else if (c.type === 'runStep') queue.push({ type: 'stepCompleted', stepKey: c.stepKey, attempt: c.attempt, result: null, at: now })
      if (c.type === 'runCompensation') queue.push({ type: 'compensationCompleted', stepKey: c.stepKey, attempt: c.attempt, at: now })
      if (c.type === 'failRun' && state.status === 'failed' && left-- > 0) queue.push({ type: 'retryRequested', at: now })
    }
  }
  return journal
}

describe('a retried run that fails again', () => {
  // DESIGN guarantee 1 (`UNIQUE (run_id, step_key, kind)`, which store-postgres enforces for
  // `compensated`): an undo that finished must not run, nor be journaled, a second time.
  it('never compensates the same step twice', () => {
    const workflow = defineWorkflow('w').step('reserve', noop, { compensate: noop }).step('charge', noop)
    const journal = playWithRetries(workflow, (key) => key === 'charge', 1)
    expect(journal.filter((e) => e.kind === 'run_retried')).toHaveLength(1)
    expect(journal.filter((e) => e.kind === 'compensated').map((e) => e.stepKey)).toEqual(['reserve'])
  })

  it('compensates the steps completed since the retry, and only those', () => {
    const workflow = defineWorkflow('w')
      .step('reserve', noop, { compensate: noop })
      .step('charge', noop, { maxAttempts: 1 })
      .step('pack', noop, { compensate: noop })
      .step('ship', noop)
    const journal = playWithRetries(workflow, (key, attempt) => (key === 'charge' && attempt === 1) || key === 'ship', 1)
    const kinds = journal.map((e) => `${e.stepKey}/${e.kind}`)
    expect(kinds.slice(kinds.indexOf('charge/run_retried'))).toEqual(['charge/run_retried', 'charge/step_completed', 'pack/step_completed', 'ship/step_failed', 'pack/compensated'])
  })
})

describe('claimed: the first event of a worker that took the run', () => {
  it('applies a cancel not applied yet first: the try a dead worker left is abandoned, not retried', () => {
    const { state, commands } = transition(linear, running({ step: 'charge', attempts: 1 }), { type: 'claimed', at: at(5), previousLeaseExpired: true, cancel: { reason: 'stop' } })
    expect(state).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED', message: 'run cancelled: stop' } })
    expect(commands.filter((c) => c.type === 'appendJournal').map((c) => (c as { entry: JournalRecord }).entry.kind)).toEqual(['cancel_requested'])
  })

  it('counts a lost try when the previous lease ran out and no cancel waits', () => {
    const { commands } = transition(linear, running({ step: 'charge', attempts: 1 }), { type: 'claimed', at: at(5), previousLeaseExpired: true })
    expect(commands[0]).toMatchObject({ type: 'appendJournal', entry: { stepKey: 'charge', kind: 'step_failed', error: { code: 'LEASE_EXPIRED' } } })
  })

  it('goes on as woken when a cancel was applied already (the rollback runs on)', () => {
    const rolling: RunState = { status: 'compensating', step: 'reserve', attempt: 1, attempts: 3, error: { message: 'run cancelled', code: 'RUN_CANCELLED' } }
    const { state, commands } = transition(order, rolling, { type: 'claimed', at: at(5), previousLeaseExpired: false, cancel: { reason: null } })
    expect(state).toEqual(rolling)
    expect(commands).toEqual([{ type: 'runCompensation', stepKey: 'reserve', stepName: 'reserve', attempt: 1 }])
  })

  it('is a plain wake-up otherwise', () => {
    expect(transition(linear, initialState(linear), { type: 'claimed', at: at(0), previousLeaseExpired: false })).toEqual(
      transition(linear, initialState(linear), { type: 'woken', at: at(0) }),
    )
  })
})

describe('claimed on a failed run: retry() asked for it, the claiming worker resumes it', () => {
  const failed = transition(flaky, running({ step: 'charge', attempt: 3, attempts: 3 }), { type: 'stepFailed', stepKey: 'charge', attempt: 3, error: boom, at: at(10) }).state

  it('resumes as retryRequested does', () => {
    expect(failed.status).toBe('failed')
    expect(transition(flaky, failed, { type: 'claimed', at: at(20), previousLeaseExpired: false })).toEqual(transition(flaky, failed, retry(20)))
  })

  it('applies a cancel asked for after the retry to the resumed run', () => {
    const { state, commands } = transition(flaky, failed, { type: 'claimed', at: at(20), previousLeaseExpired: false, cancel: { reason: 'changed my mind' } })
    expect(state).toMatchObject({ status: 'cancelled', error: { code: 'RUN_CANCELLED' } })
    expect(commands.filter((c) => c.type === 'appendJournal').map((c) => (c as { entry: JournalRecord }).entry.kind)).toEqual(['run_retried', 'cancel_requested'])
  })

  it('resumes the same way from the status the store reads back: pending after the request, running once claimed', () => {
    const resumed = transition(flaky, failed, retry(20))
    for (const status of ['pending', 'running'] as const) {
      expect(transition(flaky, { ...failed, status }, { type: 'claimed', at: at(20), previousLeaseExpired: false })).toEqual(resumed)
    }
  })

  it('does not mistake a run still rolling back (it remembers where it failed) for one asked to retry', () => {
    const rollingBack = transition(saga, running({ step: 'ship', attempt: 1, attempts: 2 }), {
      type: 'stepFailed',
      stepKey: 'ship',
      attempt: 1,
      error: { ...boom, retryable: false },
      at: at(10),
    }).state
    expect(rollingBack).toMatchObject({ status: 'compensating', failedAt: { step: 'ship' } })
    const { commands } = transition(saga, rollingBack, { type: 'claimed', at: at(20), previousLeaseExpired: false })
    expect(commands.map((c) => c.type)).toEqual(['runCompensation'])
  })

  it('leaves a failed run with no step to resume as it is', () => {
    const { failedAt: _, ...nowhere } = failed
    const { state, commands } = transition(flaky, nowhere, { type: 'claimed', at: at(20), previousLeaseExpired: false })
    expect(state).toBe(nowhere)
    expect(commands).toEqual([])
  })
})
