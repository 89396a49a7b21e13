/**
 * Property tests of the sequential state machine: random workflows (1–8 steps, 1–4 attempts,
 * some compensators, backoff 0–3 s) driven by `simulate`, with duplicate and late events.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { isTerminal, replay, transition, type JournaledRecord, type Json, type RunEvent } from '@durable/core'
import { buildWorkflow, FATAL, FLAKY, simulate, T0, type Outcome, type Plan, type StepSpec } from './simulate-run.js'

const SETTINGS = { seed: 1_714_560_000, numRuns: 150 }

const maxAttempts = fc.integer({ min: 1, max: 4 })
// Zero often, so retries that run at once (no wake-up) are common too.
const backoffMs = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_000 }))
const stepSpec: fc.Arbitrary<StepSpec> = fc.record({
  maxAttempts,
  backoffMs,
  compensation: fc.option(fc.record({ maxAttempts, backoffMs }), { nil: null }),
})
const specs = fc.array(stepSpec, { minLength: 1, maxLength: 8 })
const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { arbitrary: fc.constant('ok' as const), weight: 6 },
  { arbitrary: fc.constant('fail' as const), weight: 3 },
  { arbitrary: fc.constant('fatal' as const), weight: 1 },
  { arbitrary: fc.constant('crash' as const), weight: 1 },
)
const plan: fc.Arbitrary<Plan> = fc.record({
  outcomes: fc.array(outcome, { minLength: 1, maxLength: 40 }),
  injections: fc.array(fc.record({ afterEvent: fc.integer({ min: 1, max: 30 }), pick: fc.nat(999) }), { maxLength: 12 }),
})

const keysOf = (journal: readonly JournaledRecord[], kind: JournaledRecord['kind']): string[] => journal.filter((e) => e.kind === kind).map((e) => e.stepKey)

describe('transition, driven by a simulated runtime', () => {
  it('gives deep-equal outputs for the same workflow and outcomes', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        expect(simulate(buildWorkflow(steps), p)).toEqual(simulate(buildWorkflow(steps), p))
      }),
      SETTINGS,
    )
  })

  it('ends every run within a bounded number of events', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const run = simulate(buildWorkflow(steps), p)
        const tries = steps.reduce((sum, s) => sum + s.maxAttempts + (s.compensation?.maxAttempts ?? 0), 0)
        expect(isTerminal(run.final.status)).toBe(true)
        expect(run.applied.length).toBeLessThanOrEqual((2 * tries + 2) * (1 + p.injections.length) + p.injections.length)
      }),
      SETTINGS,
    )
  })

  it('rebuilds the live state from the journal after every entry', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const workflow = buildWorkflow(steps)
        const run = simulate(workflow, p)
        expect(isTerminal(run.final.status)).toBe(true)
        run.journal.forEach((_, i) => expect(replay(workflow, run.journal.slice(0, i + 1))).toEqual(run.stateAtEntry[i]))
        expect(replay(workflow, run.journal)).toEqual(run.final)
      }),
      SETTINGS,
    )
  })

  it('journals in time order and counts every journaled try in `attempts`', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const run = simulate(buildWorkflow(steps), p)
        const times = run.journal.map((e) => Date.parse(e.createdAt))
        expect(times).toEqual([...times].sort((a, b) => a - b))
        expect(run.final.attempts).toBe(run.journal.length)
      }),
      SETTINGS,
    )
  })

  it('never reruns or re-journals a finished step, even with duplicate and late events', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const completed = new Set<string>()
        const compensated = new Set<string>()
        for (const { commands } of simulate(buildWorkflow(steps), p).applied) {
          for (const command of commands) {
            if (command.type === 'runStep') expect(completed.has(command.stepKey)).toBe(false)
            if (command.type === 'runCompensation') {
              expect(completed.has(command.stepKey)).toBe(true)
              expect(compensated.has(command.stepKey)).toBe(false)
            }
            if (command.type !== 'appendJournal') continue
            const { kind, stepKey } = command.entry
            const seen = kind === 'step_completed' ? completed : kind === 'compensated' ? compensated : undefined
            if (seen === undefined) continue
            expect(seen.has(stepKey)).toBe(false)
            seen.add(stepKey)
          }
        }
      }),
      SETTINGS,
    )
  })

  it('journals each completion under the step and attempt that produced it', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        for (const entry of simulate(buildWorkflow(steps), p).journal) {
          if (entry.kind === 'step_completed') expect(entry.result).toEqual({ key: entry.stepKey, attempt: entry.attempt })
        }
      }),
      SETTINGS,
    )
  })

  it('journals only the outcomes of tries it commanded', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const commanded = new Set<string>()
        for (const { commands } of simulate(buildWorkflow(steps), p).applied) {
          for (const command of commands) {
            if (command.type === 'runStep' || command.type === 'runCompensation') commanded.add(`${command.type}/${command.stepKey}/${command.attempt}`)
            if (command.type !== 'appendJournal') continue
            const { kind, stepKey, attempt } = command.entry
            const tryType = kind === 'step_completed' || kind === 'step_failed' ? 'runStep' : 'runCompensation'
            expect(commanded.has(`${tryType}/${stepKey}/${attempt}`)).toBe(true)
          }
        }
      }),
      SETTINGS,
    )
  })

  it('never journals the same try twice: (stepKey, kind, attempt) is unique', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const tries = simulate(buildWorkflow(steps), p).journal.map((e) => `${e.stepKey}/${e.kind}/${e.attempt}`)
        expect(new Set(tries).size).toBe(tries.length)
      }),
      SETTINGS,
    )
  })

  it('lets a finished run absorb every event: same state object, no commands', () => {
    const keys = ['s0', 's1', 's3', 's7', 'other']
    const at = fc.integer({ min: T0 - 1e9, max: T0 + 1e10 }).map((ms) => new Date(ms).toISOString())
    const attempt = fc.integer({ min: 1, max: 5 })
    const stepKey = fc.constantFrom(...keys)
    const error = fc.constantFrom(FLAKY, FATAL)
    const event: fc.Arbitrary<RunEvent> = fc.oneof(
      fc.record({ type: fc.constant('woken' as const), at }),
      fc.record({ type: fc.constant('leaseExpired' as const), at }),
      fc.record({ type: fc.constant('stepCompleted' as const), stepKey, attempt, result: fc.constantFrom<Json>(null, 1, 'x', { id: 'r1' }, [true]), at }),
      fc.record({ type: fc.constant('stepFailed' as const), stepKey, attempt, error, at }),
      fc.record({ type: fc.constant('compensationCompleted' as const), stepKey, attempt, at }),
      fc.record({ type: fc.constant('compensationFailed' as const), stepKey, attempt, error, at }),
    )
    fc.assert(
      fc.property(specs, plan, fc.array(event, { minLength: 1, maxLength: 20 }), (steps, p, events) => {
        const workflow = buildWorkflow(steps)
        const { final } = simulate(workflow, p)
        for (const e of events) {
          const next = transition(workflow, final, e)
          expect(next.state).toBe(final)
          expect(next.commands).toEqual([])
        }
      }),
      SETTINGS,
    )
  })

  it('completes a run with exactly one step_completed per step, in order, and nothing undone', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const run = simulate(buildWorkflow(steps), p)
        fc.pre(run.final.status === 'completed')
        expect(keysOf(run.journal, 'step_completed')).toEqual(steps.map((_, i) => `s${i}`))
        expect(run.journal.filter((e) => e.kind === 'compensated' || e.kind === 'compensation_failed')).toEqual([])
        expect(run.applied.flatMap((a) => a.commands).filter((c) => c.type === 'completeRun' || c.type === 'failRun')).toEqual([{ type: 'completeRun' }])
      }),
      { ...SETTINGS, numRuns: 100 },
    )
  })

  it('fails a run after undoing exactly the completed steps that have compensators, last first', () => {
    fc.assert(
      fc.property(specs, plan, (steps, p) => {
        const workflow = buildWorkflow(steps)
        const run = simulate(workflow, p)
        fc.pre(run.final.status === 'failed')
        const completed = keysOf(run.journal, 'step_completed')
        expect(completed).toEqual(steps.slice(0, completed.length).map((_, i) => `s${i}`))
        const expected = completed.filter((_, i) => steps[i]!.compensation !== null).reverse()
        const compensations = run.journal.filter((e) => e.kind === 'compensated' || e.kind === 'compensation_failed')
        const rollback = compensations.map((e) => e.stepKey).filter((key, i, all) => key !== all[i - 1])
        expect(rollback).toEqual(expected)
        const ends = run.applied.flatMap((a) => a.commands).filter((c) => c.type === 'completeRun' || c.type === 'failRun')
        expect(ends).toEqual([{ type: 'failRun', error: expect.objectContaining({ step: workflow.steps[completed.length]!.name }) }])
      }),
      { ...SETTINGS, numRuns: 100 },
    )
  })
})
