/**
 * Property tests of `parallel`: a simulated runtime finishes the tries in flight in random
 * order, with random outcomes, crashes, duplicate and stale events and a cancel or a deadline at
 * a random moment; like the real executor it wakes the run (so due branches start) before each outcome.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  defineWorkflow,
  initialState,
  isTerminal,
  replay,
  transition,
  type BranchState,
  type Command,
  type JournaledRecord,
  type RunEvent,
  type RunState,
  type Workflow,
  type WorkflowBuilder,
} from '@durable/core'
import { FATAL, FLAKY, T0 } from './simulate-run.js'

const SETTINGS = { seed: 1_732_500_000, numRuns: 300 }
const noop = async (): Promise<null> => null

interface BranchSpec {
  readonly maxAttempts: number
  readonly backoffMs: number
  readonly undo: boolean
}
type Outcome = 'ok' | 'fail' | 'fatal' | 'crash'
interface Plan {
  readonly outcomes: readonly Outcome[]
  /** Which try in flight ends next (index modulo the number in flight). */
  readonly picks: readonly number[]
  /** After this many events, re-deliver an earlier event. */
  readonly duplicates: readonly number[]
  readonly cancelAfter: number | null
  /** What stops the run then: a cancel, or its deadline passing while a worker holds it. */
  readonly stop: 'cancel' | 'deadline'
}

/** before (undo) → fan { b0..bn } → after (1 try). */
function buildWorkflow(branches: readonly BranchSpec[]): Workflow {
  const specs = Object.fromEntries(
    branches.map((b, i) => [`b${i}`, { handler: noop, maxAttempts: b.maxAttempts, backoff: () => b.backoffMs, ...(b.undo ? { compensate: noop } : {}) }]),
  )
  const builder: WorkflowBuilder<undefined, Record<string, unknown>> = defineWorkflow('parallel-property').step('before', noop, { compensate: noop })
  return builder.parallel('fan', specs).step('after', noop, { maxAttempts: 1 })
}

type Try = Extract<Command, { type: 'runStep' | 'runCompensation' }>

interface Simulated {
  readonly journal: JournaledRecord[]
  /** The live state right after the transition that wrote `journal[i]`, at its last entry. */
  readonly stateAtEntry: Array<RunState | undefined>
  readonly final: RunState
  readonly events: number
  /** Keys of tries started while another try of the same key was in flight. */
  readonly overlapping: string[]
}

function simulate(workflow: Workflow, plan: Plan, maxEvents = 2_000): Simulated {
  let state = initialState(workflow)
  let clock = T0
  let tries = 0
  let events = 0
  const journal: JournaledRecord[] = []
  const stateAtEntry: Array<RunState | undefined> = []
  const applied: RunEvent[] = []
  const overlapping: string[] = []
  let flying: Try[] = []
  let wakes: number[] = []
  const tick = (notBefore = 0): string => new Date((clock = Math.max(clock + 1, notBefore))).toISOString()

  const apply = (event: RunEvent, wakeFirst: boolean, reporting?: Try): void => {
    events++
    applied.push(event)
    const first = wakeFirst ? transition(workflow, state, { type: 'woken', at: event.at }) : { state, commands: [] }
    const next = transition(workflow, first.state, event)
    state = next.state
    const commands = [...first.commands, ...next.commands]
    const lastEntry = commands.findLastIndex((c) => c.type === 'appendJournal')
    commands.forEach((command, i) => {
      if (command.type === 'appendJournal') {
        journal.push({ ...command.entry, createdAt: event.at })
        // A transition's entries commit together: only the last one has a state of its own.
        stateAtEntry.push(i === lastEntry ? state : undefined)
      } else if (command.type === 'runStep' || command.type === 'runCompensation') {
        // The executor ignores a command for a try it runs already.
        if (flying.some((t) => t.stepKey === command.stepKey && t.attempt === command.attempt && t.type === command.type)) return
        if (flying.some((t) => t !== reporting && t.stepKey === command.stepKey && t.type === command.type)) overlapping.push(command.stepKey)
        flying.push(command)
      } else if (command.type === 'scheduleWake') wakes.push(Date.parse(command.at))
    })
  }

  apply({ type: 'woken', at: tick() }, false)
  let cancelled = false
  while (events < maxEvents && !isTerminal(state.status)) {
    if (plan.cancelAfter !== null && !cancelled && events >= plan.cancelAfter) {
      cancelled = true
      // A cancel revokes the lease: tries in flight are abandoned, the next worker cancels. A
      // deadline aborts the tries in flight: the worker holding the run applies it.
      flying = []
      // As the provider does: a run rolling back already is simply woken by the next worker.
      const rollingBack = state.status === 'compensating' || state.error?.code === 'RUN_CANCELLED' || state.error?.code === 'RUN_TIMED_OUT'
      apply(rollingBack ? { type: 'woken', at: tick() } : plan.stop === 'cancel' ? { type: 'cancelRequested', at: tick() } : { type: 'deadlinePassed', at: tick() }, false)
      continue
    }
    if (plan.duplicates.includes(events) && applied.length > 1) {
      apply({ ...applied[events % applied.length]!, at: tick() }, true)
      continue
    }
    if (flying.length > 0) {
      const command = flying[plan.picks[events % plan.picks.length]! % flying.length]!
      // Like the executor, the try counts as running until its outcome is applied.
      const finished = (): void => void (flying = flying.filter((t) => t !== command))
      const outcome = plan.outcomes[tries++ % plan.outcomes.length]!
      const at = tick()
      if (outcome === 'crash') {
        // The worker died: every try in flight is lost; the next worker claims the run.
        flying = []
        apply({ type: 'leaseExpired', at }, false)
        continue
      }
      const base = { stepKey: command.stepKey, attempt: command.attempt, at }
      const failure = outcome === 'fatal' ? FATAL : FLAKY
      if (command.type === 'runStep') {
        apply(outcome === 'ok' ? { type: 'stepCompleted', ...base, result: command.stepKey } : { type: 'stepFailed', ...base, error: failure }, true, command)
      } else {
        apply(outcome === 'ok' ? { type: 'compensationCompleted', ...base } : { type: 'compensationFailed', ...base, error: failure }, true, command)
      }
      finished()
      continue
    }
    if (wakes.length === 0) break
    const due = Math.min(...wakes)
    wakes = wakes.filter((w) => w !== due)
    apply({ type: 'woken', at: tick(due) }, false)
  }
  return { journal, stateAtEntry, final: state, events, overlapping }
}

const branchSpec: fc.Arbitrary<BranchSpec> = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 3 }),
  backoffMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 })),
  undo: fc.boolean(),
})
const branches = fc.array(branchSpec, { minLength: 1, maxLength: 5 })
const plan: fc.Arbitrary<Plan> = fc.record({
  outcomes: fc.array(
    fc.oneof(
      { arbitrary: fc.constant('ok' as const), weight: 6 },
      { arbitrary: fc.constant('fail' as const), weight: 3 },
      { arbitrary: fc.constant('fatal' as const), weight: 1 },
      { arbitrary: fc.constant('crash' as const), weight: 1 },
    ),
    { minLength: 1, maxLength: 40 },
  ),
  picks: fc.array(fc.nat(10), { minLength: 1, maxLength: 20 }),
  duplicates: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
  cancelAfter: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
  stop: fc.constantFrom('cancel' as const, 'deadline' as const),
})

const count = (journal: readonly JournaledRecord[], kind: JournaledRecord['kind'], key: string): number => journal.filter((e) => e.kind === kind && e.stepKey === key).length

describe('parallel, driven by a simulated runtime with random interleavings', () => {
  it('ends every run, never runs a try twice at once, and never journals a completion or compensation twice', () => {
    fc.assert(
      fc.property(branches, plan, (specs, p) => {
        const workflow = buildWorkflow(specs)
        const run = simulate(workflow, p)
        expect(isTerminal(run.final.status)).toBe(true)
        expect(run.overlapping).toEqual([])
        for (const key of ['before', 'after', ...specs.map((_, i) => `fan.b${i}`)]) {
          expect(count(run.journal, 'step_completed', key)).toBeLessThanOrEqual(1)
          expect(count(run.journal, 'compensated', key)).toBeLessThanOrEqual(1)
        }
      }),
      SETTINGS,
    )
  })

  it('rebuilds the live state from the journal after every entry', () => {
    fc.assert(
      fc.property(branches, plan, (specs, p) => {
        const workflow = buildWorkflow(specs)
        const run = simulate(workflow, p)
        run.stateAtEntry.forEach((state, i) => state !== undefined && expect(replay(workflow, run.journal.slice(0, i + 1))).toEqual(state))
        expect(replay(workflow, run.journal)).toEqual(run.final)
      }),
      SETTINGS,
    )
  })

  it('completes with every branch journaled once, or rolls back exactly the completed branches and steps that can be undone', () => {
    fc.assert(
      fc.property(branches, plan, (specs, p) => {
        const run = simulate(buildWorkflow(specs), p)
        const keys = specs.map((_, i) => `fan.b${i}`)
        if (run.final.status === 'completed') {
          for (const key of keys) expect(count(run.journal, 'step_completed', key)).toBe(1)
          expect(run.journal.some((e) => e.kind === 'compensated' || e.kind === 'compensation_failed')).toBe(false)
          return
        }
        const undoable = [...keys.filter((_, i) => specs[i]!.undo), 'before'].filter((key) => count(run.journal, 'step_completed', key) === 1)
        const rolledBack = run.journal.filter((e) => e.kind === 'compensated').map((e) => e.stepKey)
        const gaveUp = new Set(run.journal.filter((e) => e.kind === 'compensation_failed').map((e) => e.stepKey))
        // Each completed undoable step is compensated, or its compensator gave up after its tries.
        for (const key of undoable) expect(rolledBack.includes(key) || gaveUp.has(key)).toBe(true)
        for (const key of rolledBack) expect(undoable).toContain(key)
        // `before` is undone last: every branch's compensation comes first.
        const firstBefore = run.journal.findIndex((e) => e.stepKey === 'before' && (e.kind === 'compensated' || e.kind === 'compensation_failed'))
        if (firstBefore >= 0)
          expect(run.journal.slice(firstBefore).some((e) => e.stepKey.startsWith('fan.') && e.kind !== 'step_completed' && e.kind !== 'step_failed')).toBe(false)
        // No branch completes once a compensation was journaled (the rollback waits for the drain).
        const firstUndo = run.journal.findIndex((e) => e.kind === 'compensated' || e.kind === 'compensation_failed')
        if (firstUndo >= 0 && run.final.status === 'failed') expect(run.journal.slice(firstUndo).some((e) => e.kind === 'step_completed')).toBe(false)
      }),
      SETTINGS,
    )
  })

  it('starts no branch try after one failed for good', () => {
    fc.assert(
      fc.property(branches, plan, (specs, p) => {
        const run = simulate(buildWorkflow(specs), p)
        const fatal = run.journal.findIndex(
          (e, i) => e.kind === 'step_failed' && e.stepKey.startsWith('fan.') && run.stateAtEntry[i] !== undefined && run.stateAtEntry[i]!.error !== null,
        )
        if (fatal < 0) return
        const drainingFrom = run.stateAtEntry[fatal]!
        for (const e of run.journal.slice(fatal + 1)) {
          if (!e.stepKey.startsWith('fan.') || (e.kind !== 'step_completed' && e.kind !== 'step_failed')) continue
          const branch = (drainingFrom.cursor as { branches: Record<string, BranchState> }).branches[e.stepKey.slice(4)]!
          // Only tries in flight when the failure landed may still end.
          expect(branch.outcome === undefined && branch.notBefore === undefined && branch.attempt === e.attempt).toBe(true)
        }
      }),
      SETTINGS,
    )
  })
})
