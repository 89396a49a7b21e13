/**
 * A small pure simulator that plays the runtime for the property tests: it applies `woken`,
 * then the outcome of every commanded try, and can re-deliver copies of events it already
 * applied, as a duplicate or late job would. Time only moves forward, one millisecond per event.
 */
import {
  defineWorkflow,
  initialState,
  transition,
  type Command,
  type JournaledRecord,
  type RunEvent,
  type RunState,
  type StepError,
  type Workflow,
  type WorkflowBuilder,
} from '@durable/core'

export const T0 = Date.parse('2024-05-01T12:00:00.000Z')
const noop = async (): Promise<null> => null

export interface Policy {
  readonly maxAttempts: number
  readonly backoffMs: number
}
export interface StepSpec extends Policy {
  readonly compensation: Policy | null
}
export type Outcome = 'ok' | 'fail' | 'fatal' | 'crash'
export interface Plan {
  /** Outcome of the n-th try the simulator carries out, cycling. */
  readonly outcomes: readonly Outcome[]
  /** After `afterEvent` events, re-deliver a copy of an applied event: one of the last four when `pick` < 500, else any. */
  readonly injections: ReadonlyArray<{ readonly afterEvent: number; readonly pick: number }>
}

/** One step `s<i>` per spec, with its retry policy and optional compensator. */
export function buildWorkflow(steps: readonly StepSpec[]): Workflow {
  let builder: WorkflowBuilder<undefined, Record<string, unknown>> = defineWorkflow('property')
  steps.forEach((spec, i) => {
    const compensate = spec.compensation && {
      handler: noop,
      maxAttempts: spec.compensation.maxAttempts,
      backoff: () => `${spec.compensation!.backoffMs}ms` as const,
    }
    builder = builder.step(`s${i}`, noop, { maxAttempts: spec.maxAttempts, backoff: () => spec.backoffMs, ...(compensate ? { compensate } : {}) })
  })
  return builder
}

export const FLAKY: StepError = { name: 'Error', message: 'flaky', retryable: true }
export const FATAL: StepError = { name: 'NonRetryableError', message: 'fatal', code: 'NON_RETRYABLE', retryable: false }

type Try = Extract<Command, { type: 'runStep' | 'runCompensation' }>

function outcomeEvent(command: Try, result: Outcome, at: string): RunEvent {
  if (result === 'crash') return { type: 'leaseExpired', at }
  const base = { stepKey: command.stepKey, attempt: command.attempt, at }
  if (command.type === 'runStep') {
    return result === 'ok'
      ? { type: 'stepCompleted', ...base, result: { key: command.stepKey, attempt: command.attempt } }
      : { type: 'stepFailed', ...base, error: result === 'fatal' ? FATAL : FLAKY }
  }
  return result === 'ok' ? { type: 'compensationCompleted', ...base } : { type: 'compensationFailed', ...base, error: result === 'fatal' ? FATAL : FLAKY }
}

interface Applied {
  readonly event: RunEvent
  readonly state: RunState
  readonly commands: readonly Command[]
}
export interface SimulatedRun {
  readonly applied: readonly Applied[]
  readonly journal: readonly JournaledRecord[]
  /** The live state right after the event that wrote `journal[i]`. */
  readonly stateAtEntry: readonly RunState[]
  readonly final: RunState
}

/** Plays the runtime until no work is left (or `maxEvents`), one event at a time; time only moves forward. */
export function simulate(workflow: Workflow, { outcomes, injections }: Plan, maxEvents = 1_000): SimulatedRun {
  let state = initialState(workflow)
  let clock = T0
  let tries = 0
  const applied: Applied[] = []
  const journal: JournaledRecord[] = []
  const stateAtEntry: RunState[] = []
  const work: Array<{ kind: 'wake'; at: number } | { kind: 'try'; command: Try }> = [{ kind: 'wake', at: T0 }]
  const pending = [...injections].sort((a, b) => a.afterEvent - b.afterEvent)
  const tick = (notBefore = 0): string => new Date((clock = Math.max(clock + 1, notBefore))).toISOString()

  const apply = (event: RunEvent): void => {
    const result = transition(workflow, state, event)
    state = result.state
    applied.push({ event, state, commands: result.commands })
    for (const command of result.commands) {
      if (command.type === 'appendJournal') {
        journal.push({ ...command.entry, createdAt: event.at })
        stateAtEntry.push(state)
      } else if (command.type === 'runStep' || command.type === 'runCompensation') work.push({ kind: 'try', command })
      else if (command.type === 'scheduleWake') work.push({ kind: 'wake', at: Date.parse(command.at) })
    }
  }
  const inject = (pick: number): void => {
    // Recent events are the likeliest duplicates (a job delivered twice), so favour them.
    const index = pick < 500 ? applied.length - 1 - (pick % Math.min(4, applied.length)) : pick % applied.length
    apply({ ...applied[index]!.event, at: tick() })
  }

  while (work.length > 0 && applied.length < maxEvents) {
    while (pending.length > 0 && pending[0]!.afterEvent <= applied.length) inject(pending.shift()!.pick)
    const item = work.shift()!
    if (item.kind === 'wake') apply({ type: 'woken', at: tick(item.at) })
    else apply(outcomeEvent(item.command, outcomes[tries++ % outcomes.length]!, tick()))
  }
  // Late copies, delivered after the run ended.
  for (const { pick } of pending) inject(pick)
  return { applied, journal, stateAtEntry, final: state }
}
