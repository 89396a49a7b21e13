/**
 * Property tests of the state machine with sleeps, signal waits, cancels, deadlines and retries: random
 * workflows (1–7 nodes) driven by `simulateWaits`, with duplicate and late events.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { isTerminal, replay, transition, type Json, type JournaledRecord, type RunEvent, timerOf } from '@durable/core'
import { FATAL, FLAKY, T0, type Outcome, type Policy } from './simulate-run.js'
import { buildMixedWorkflow, nodeName, simulateWaits, type NodeSpec, type SignalChoice, type WaitPlan } from './simulate-waits.js'

const SETTINGS = { seed: 1_714_560_001, numRuns: 120 }

const maxAttempts = fc.integer({ min: 1, max: 3 })
const backoffMs = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }))
const policy: fc.Arbitrary<Policy> = fc.record({ maxAttempts, backoffMs })
const nodeSpec: fc.Arbitrary<NodeSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('step' as const), maxAttempts, backoffMs, compensation: fc.option(policy, { nil: null, freq: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 5_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), timeoutMs: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: null, freq: 3 }) }) },
)
const nodes = fc.array(nodeSpec, { minLength: 1, maxLength: 7 })
const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { arbitrary: fc.constant('ok' as const), weight: 6 },
  { arbitrary: fc.constant('fail' as const), weight: 3 },
  { arbitrary: fc.constant('fatal' as const), weight: 1 },
  { arbitrary: fc.constant('crash' as const), weight: 1 },
)
const signals = fc.array(fc.constantFrom<SignalChoice>('signal', 'timeout', 'park'), { minLength: 1, maxLength: 5 }).filter((c) => c.some((x) => x !== 'park'))
const plan: fc.Arbitrary<WaitPlan> = fc.record({
  outcomes: fc.array(outcome, { minLength: 1, maxLength: 30 }),
  signals,
  cancel: fc.option(fc.record({ afterEvent: fc.integer({ min: 0, max: 40 }), reason: fc.option(fc.constantFrom('changed my mind', 'fraud', ''), { nil: null }) }), {
    nil: null,
    freq: 3,
  }),
  deadline: fc.option(fc.record({ afterEvent: fc.integer({ min: 0, max: 40 }), onClaim: fc.boolean() }), { nil: null, freq: 3 }),
  retries: fc.integer({ min: 0, max: 2 }),
  injections: fc.array(fc.record({ afterEvent: fc.integer({ min: 1, max: 30 }), pick: fc.nat(999) }), { maxLength: 8 }),
})

function run(specs: readonly NodeSpec[], p: WaitPlan) {
  const workflow = buildMixedWorkflow(specs)
  return { workflow, ...simulateWaits(workflow, specs, p) }
}
const keysOf = (journal: readonly JournaledRecord[], kind: JournaledRecord['kind']): string[] => journal.filter((e) => e.kind === kind).map((e) => e.stepKey)
const duplicates = (keys: readonly string[]): string[] => keys.filter((k, i) => keys.indexOf(k) !== i)
const ACTIONS = new Set(['runStep', 'startTimer', 'awaitSignal'])

describe('transition with sleeps, signal waits, cancels and retries', () => {
  it('gives deep-equal outputs for the same workflow and plan', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        expect(simulateWaits(buildMixedWorkflow(specs), specs, p)).toEqual(simulateWaits(buildMixedWorkflow(specs), specs, p))
      }),
      SETTINGS,
    )
  })

  it('ends every run within a bounded number of events', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { final, applied } = run(specs, p)
        const perLife = specs.reduce((sum, s) => {
          if (s.kind === 'step') return sum + 2 * (s.maxAttempts + (s.compensation?.maxAttempts ?? 0))
          return sum + (s.kind === 'sleep' ? 3 : 2 * p.signals.length + 4)
        }, 4)
        expect(isTerminal(final.status)).toBe(true)
        expect(applied.length).toBeLessThanOrEqual(perLife * (1 + p.retries) * (1 + p.injections.length) + p.injections.length + 1)
      }),
      SETTINGS,
    )
  })

  it('rebuilds the live state from the journal after every entry', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { workflow, journal, stateAtEntry, final } = run(specs, p)
        journal.forEach((_, i) => expect(replay(workflow, journal.slice(0, i + 1))).toEqual(stateAtEntry[i]))
        expect(replay(workflow, journal)).toEqual(final)
      }),
      SETTINGS,
    )
  })

  it('journals at most one completion per step, one signal per wait and one start and one firing per timer', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { journal } = run(specs, p)
        for (const kind of ['step_completed', 'signal_received', 'timer_started', 'timer_fired', 'cancel_requested', 'run_timed_out'] as const) {
          expect(duplicates(keysOf(journal, kind)), kind).toEqual([])
        }
      }),
      SETTINGS,
    )
  })

  // DESIGN guarantee 1: `compensated` is unique per step, and an undo that finished never runs again.
  it('never compensates a step twice, even when a retried run fails or is cancelled again', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        expect(duplicates(keysOf(run(specs, p).journal, 'compensated'))).toEqual([])
      }),
      SETTINGS,
    )
  })

  it('never commands a journaled step, wait or timer again, nor a failed one before its retry', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { workflow, applied } = run(specs, p)
        const done = new Set<string>()
        const failed = new Set<string>()
        for (const { before, state, commands } of applied) {
          for (const command of commands) {
            if (command.type === 'appendJournal') {
              const { kind, stepKey } = command.entry
              if (kind === 'step_completed' || kind === 'signal_received' || kind === 'timer_started') done.add(stepKey)
              if (kind === 'run_retried') failed.delete(stepKey)
            } else if (ACTIONS.has(command.type)) {
              const { stepKey } = command as { stepKey: string }
              expect(done.has(stepKey), `${command.type} ${stepKey}`).toBe(false)
              expect(failed.has(stepKey), `${command.type} ${stepKey}`).toBe(false)
              expect(['running', 'waiting']).toContain(state.status)
            }
          }
          if (state.failedAt !== undefined && before.failedAt === undefined) failed.add(workflow.steps.find((s) => s.name === state.failedAt!.step)!.key)
        }
      }),
      SETTINGS,
    )
  })

  it('fires no timer before its time and times out only waits that have a timeout', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { workflow, applied } = run(specs, p)
        for (const { event, before, commands } of applied) {
          for (const c of commands) {
            if (c.type !== 'appendJournal') continue
            if (c.entry.kind === 'timer_fired') expect(Date.parse(event.at)).toBeGreaterThanOrEqual(Date.parse(timerOf(before)!))
            if (c.entry.error?.code === 'SIGNAL_TIMEOUT')
              expect(specs[workflow.steps.findIndex((s) => s.name === before.step)]).toMatchObject({ kind: 'wait', timeoutMs: expect.any(Number) })
          }
        }
      }),
      SETTINGS,
    )
  })

  it('lets a completed, cancelled or failed run absorb every event but a retry of the failed one', () => {
    const at = fc.integer({ min: T0 - 1e9, max: T0 + 1e10 }).map((ms) => new Date(ms).toISOString())
    const stepKey = fc.constantFrom('s0', 'z1', 'w2', 'w3', 's4', 'other', '$run')
    const attempt = fc.integer({ min: 1, max: 7 })
    const event: fc.Arbitrary<RunEvent> = fc.oneof(
      fc.record({ type: fc.constantFrom('woken' as const, 'leaseExpired' as const), at }),
      fc.record({ type: fc.constant('stepCompleted' as const), stepKey, attempt, result: fc.constantFrom<Json>(null, 1, { id: 'r1' }), at }),
      fc.record({ type: fc.constantFrom('stepFailed' as const, 'compensationFailed' as const), stepKey, attempt, error: fc.constantFrom(FLAKY, FATAL), at }),
      fc.record({ type: fc.constant('compensationCompleted' as const), stepKey, attempt, at }),
      fc.record({ type: fc.constant('timerStarted' as const), stepKey, until: at, at }),
      fc.record({ type: fc.constant('signalReceived' as const), stepKey, payload: fc.constantFrom<Json>(null, 'yes', { ok: true }), at }),
      fc.record({ type: fc.constant('signalTimedOut' as const), stepKey, at }),
      fc.record({ type: fc.constant('cancelRequested' as const), reason: fc.constantFrom('again', 'late'), at }),
      fc.record({ type: fc.constant('deadlinePassed' as const), at }),
    )
    fc.assert(
      fc.property(nodes, plan, fc.array(event, { minLength: 1, maxLength: 20 }), (specs, p, events) => {
        const { workflow, final } = run(specs, p)
        const all = final.status === 'failed' ? events : [...events, { type: 'retryRequested' as const, at: new Date(T0).toISOString() }]
        for (const e of all) {
          const next = transition(workflow, final, e)
          expect(next.state).toBe(final)
          expect(next.commands).toEqual([])
        }
      }),
      SETTINGS,
    )
  })

  it('completes a run only after journaling every node in order, with nothing undone', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { journal, final } = run(specs, p)
        fc.pre(final.status === 'completed')
        const finishing = { step: 'step_completed', sleep: 'timer_fired', wait: 'signal_received' } as const
        const finished = journal.filter((e) => e.kind === 'step_completed' || e.kind === 'timer_fired' || e.kind === 'signal_received')
        expect(finished.map((e) => `${e.kind}/${e.stepKey}`)).toEqual(specs.map((s, i) => `${finishing[s.kind]}/${nodeName(s, i)}`))
        if (!journal.some((e) => e.kind === 'run_retried')) expect(journal.filter((e) => e.kind === 'compensated' || e.kind === 'compensation_failed')).toEqual([])
      }),
      { ...SETTINGS, numRuns: 80 },
    )
  })

  it('ends a cancelled or failed run by undoing exactly the steps completed since the last retry that have compensators, last first', () => {
    fc.assert(
      fc.property(nodes, plan, (specs, p) => {
        const { journal, final, applied } = run(specs, p)
        fc.pre(final.status === 'cancelled' || final.status === 'failed')
        const retried = journal.filter((e) => e.kind === 'run_retried').length
        const life = journal.slice(journal.map((e) => e.kind).lastIndexOf('run_retried') + 1)
        // The rollback starts at the cancel, at the deadline, or at the failure that ended the run.
        const timedOut = final.error?.code === 'RUN_TIMED_OUT'
        const start =
          final.status === 'cancelled'
            ? life.findIndex((e) => e.kind === 'cancel_requested')
            : timedOut
              ? life.findIndex((e) => e.kind === 'run_timed_out')
              : life.map((e) => e.kind === 'step_failed' && e.stepName === final.error?.step).lastIndexOf(true)
        expect(start).toBeGreaterThanOrEqual(0)
        const undoable = new Set(specs.flatMap((s, i) => (s.kind === 'step' && s.compensation !== null ? [nodeName(s, i)] : [])))
        const expected = keysOf(life, 'step_completed')
          .filter((key) => undoable.has(key))
          .reverse()
        const undo = life.filter((e) => e.kind === 'compensated' || e.kind === 'compensation_failed')
        for (const e of undo) expect(life.indexOf(e)).toBeGreaterThan(start)
        expect(undo.map((e) => e.stepKey).filter((key, i, all) => key !== all[i - 1])).toEqual(expected)
        const ends = applied.flatMap((a) => a.commands).filter((c) => c.type === 'completeRun' || c.type === 'failRun')
        expect(ends).toHaveLength(retried + 1)
        expect(ends.at(-1)).toEqual({ type: 'failRun', error: final.error })
        if (final.status === 'cancelled') {
          expect(life[start]).toMatchObject({ stepKey: '$run', kind: 'cancel_requested', result: p.cancel!.reason })
          expect(final.error).toMatchObject({ code: 'RUN_CANCELLED' })
        } else if (timedOut) {
          expect(life[start]).toMatchObject({ stepKey: '$run', kind: 'run_timed_out' })
          expect(life.filter((e) => e.kind === 'run_timed_out' || e.kind === 'cancel_requested')).toHaveLength(1)
        } else expect(final.error).toMatchObject({ step: expect.any(String) })
      }),
      { ...SETTINGS, numRuns: 100 },
    )
  })
})
