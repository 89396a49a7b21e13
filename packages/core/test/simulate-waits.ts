/**
 * A pure simulator of the runtime for workflows that mix steps, sleeps and signal waits. Like
 * `simulate` it applies `woken` and the outcome of every commanded try; besides, it starts the
 * timers it is asked for, answers each `awaitSignal` with a signal, a timeout or a wake-up while
 * parked, requests a cancel at a chosen point, retries failed runs, and re-delivers copies of
 * applied events. Time only moves forward. As the runtime does, it reports a wait's timeout only
 * once the wait's `timeoutAt` has passed: core trusts that event.
 */
import {
  defineWorkflow,
  initialState,
  transition,
  type Command,
  type JournaledRecord,
  type RunEvent,
  type RunState,
  type Workflow,
  type WorkflowBuilder,
  timerOf,
} from '@durable/core'
import { FATAL, FLAKY, T0, type Outcome, type Policy } from './simulate-run.js'

const noop = async (): Promise<null> => null

export type NodeSpec =
  | { readonly kind: 'step'; readonly maxAttempts: number; readonly backoffMs: number; readonly compensation: Policy | null }
  | { readonly kind: 'sleep'; readonly ms: number }
  | { readonly kind: 'wait'; readonly timeoutMs: number | null }

/** What the runtime does with one `awaitSignal`: deliver the signal, let the wait time out, or park and be woken later. */
export type SignalChoice = 'signal' | 'timeout' | 'park'

export interface WaitPlan {
  /** Outcome of the n-th try, cycling. */
  readonly outcomes: readonly Outcome[]
  /** Answer to the n-th `awaitSignal`, cycling; holds at least one choice that is not 'park'. */
  readonly signals: readonly SignalChoice[]
  /** Request a cancel once this many events were applied (or after the end, if the run ended first). */
  readonly cancel: { readonly afterEvent: number; readonly reason: string | null } | null
  /**
   * The run's deadline passes once this many events were applied: a worker holding the run sends
   * `deadlinePassed`, or (`onClaim`) the next claim finds it passed; every later wake-up is then
   * a claim that finds it passed too.
   */
  readonly deadline: { readonly afterEvent: number; readonly onClaim: boolean } | null
  /** How many times a failed run is retried. */
  readonly retries: number
  /** After `afterEvent` events, re-deliver a copy of an applied event (never a retry): one of the last four when `pick` < 500. */
  readonly injections: ReadonlyArray<{ readonly afterEvent: number; readonly pick: number }>
}

/** Node `i` is named `s<i>` (a step), `z<i>` (a sleep) or `w<i>` (a signal wait). */
export const nodeName = (spec: NodeSpec, i: number): string => `${spec.kind === 'step' ? 's' : spec.kind === 'sleep' ? 'z' : 'w'}${i}`

export function buildMixedWorkflow(nodes: readonly NodeSpec[]): Workflow {
  let builder: WorkflowBuilder<undefined, Record<string, unknown>> = defineWorkflow('mixed')
  nodes.forEach((spec, i) => {
    const name = nodeName(spec, i)
    if (spec.kind === 'sleep') builder = builder.sleep(name, spec.ms)
    else if (spec.kind === 'wait') builder = builder.waitForSignal(name, spec.timeoutMs === null ? {} : { timeout: spec.timeoutMs })
    else {
      const c = spec.compensation
      const compensate = c && { handler: noop, maxAttempts: c.maxAttempts, backoff: () => c.backoffMs }
      builder = builder.step(name, noop, { maxAttempts: spec.maxAttempts, backoff: () => spec.backoffMs, ...(compensate ? { compensate } : {}) })
    }
  })
  return builder
}

/** Milliseconds a parked wait stays parked before the runtime looks again. */
export const PARK_MS = 700

type Try = Extract<Command, { type: 'runStep' | 'runCompensation' }>
type Item =
  | { readonly kind: 'wake'; readonly at: number }
  | { readonly kind: 'try'; readonly command: Try }
  | { readonly kind: 'timer'; readonly command: Extract<Command, { type: 'startTimer' }> }
  | { readonly kind: 'signal'; readonly command: Extract<Command, { type: 'awaitSignal' }> }
  | { readonly kind: 'retry' }

export interface Applied {
  readonly event: RunEvent
  readonly before: RunState
  readonly state: RunState
  readonly commands: readonly Command[]
}
export interface SimulatedWaitRun {
  readonly applied: readonly Applied[]
  readonly journal: readonly JournaledRecord[]
  /** The live state right after the event that wrote `journal[i]`. */
  readonly stateAtEntry: readonly RunState[]
  readonly final: RunState
}

function outcomeEvent(command: Try, result: Outcome, at: string): RunEvent {
  if (result === 'crash') return { type: 'leaseExpired', at }
  const base = { stepKey: command.stepKey, attempt: command.attempt, at }
  const error = result === 'fatal' ? FATAL : FLAKY
  if (command.type === 'runStep')
    return result === 'ok' ? { type: 'stepCompleted', ...base, result: { key: command.stepKey, attempt: command.attempt } } : { type: 'stepFailed', ...base, error }
  return result === 'ok' ? { type: 'compensationCompleted', ...base } : { type: 'compensationFailed', ...base, error }
}

/** Plays the runtime until no work is left (or `maxEvents`). */
export function simulateWaits(workflow: Workflow, nodes: readonly NodeSpec[], plan: WaitPlan, maxEvents = 3_000): SimulatedWaitRun {
  let state = initialState(workflow)
  let clock = T0
  let tries = 0
  let answers = 0
  let retriesLeft = plan.retries
  let cancelPending = plan.cancel
  let deadlinePending = plan.deadline
  let deadlinePassed = false
  const applied: Applied[] = []
  const journal: JournaledRecord[] = []
  const stateAtEntry: RunState[] = []
  const work: Item[] = [{ kind: 'wake', at: T0 }]
  const pending = [...plan.injections].sort((a, b) => a.afterEvent - b.afterEvent)
  const tick = (notBefore = 0): string => new Date((clock = Math.max(clock + 1, notBefore))).toISOString()
  const sleepMs = (stepKey: string): number => {
    const spec = nodes[workflow.steps.findIndex((s) => s.key === stepKey)]
    return spec?.kind === 'sleep' ? spec.ms : 0
  }

  const apply = (event: RunEvent): void => {
    const before = state
    const result = transition(workflow, state, event)
    state = result.state
    applied.push({ event, before, state, commands: result.commands })
    for (const command of result.commands) {
      if (command.type === 'appendJournal') {
        journal.push({ ...command.entry, createdAt: event.at })
        stateAtEntry.push(state)
      } else if (command.type === 'runStep' || command.type === 'runCompensation') work.push({ kind: 'try', command })
      else if (command.type === 'startTimer') work.push({ kind: 'timer', command })
      else if (command.type === 'awaitSignal') work.push({ kind: 'signal', command })
      else if (command.type === 'scheduleWake') work.push({ kind: 'wake', at: Date.parse(command.at) })
      else if (command.type === 'failRun' && state.status === 'failed' && retriesLeft > 0) {
        retriesLeft--
        work.push({ kind: 'retry' })
      }
    }
  }
  const inject = (pick: number): void => {
    // A retry is a user's decision, not a duplicate job: never re-deliver one.
    const candidates = applied.filter((a) => a.event.type !== 'retryRequested')
    if (candidates.length === 0) return
    const index = pick < 500 ? candidates.length - 1 - (pick % Math.min(4, candidates.length)) : pick % candidates.length
    const event = candidates[index]!.event
    // A late timeout job is only sent once the current deadline (if any) has passed.
    apply({ ...event, at: tick(event.type === 'signalTimedOut' && timerOf(state) !== null ? Date.parse(timerOf(state)!) : 0) })
  }
  const answer = ({ stepKey, timeoutAt }: Extract<Command, { type: 'awaitSignal' }>): void => {
    const choice = plan.signals[answers++ % plan.signals.length]!
    if (choice === 'park') return void work.push({ kind: 'wake', at: clock + PARK_MS })
    if (choice === 'timeout' && timeoutAt !== null) return apply({ type: 'signalTimedOut', stepKey, at: tick(Date.parse(timeoutAt)) })
    // No timeout to wait for: the signal comes, later.
    apply({ type: 'signalReceived', stepKey, payload: { signal: stepKey, n: answers }, at: tick(choice === 'timeout' ? clock + PARK_MS : 0) })
  }

  while (work.length > 0 && applied.length < maxEvents) {
    while (pending.length > 0 && pending[0]!.afterEvent <= applied.length) inject(pending.shift()!.pick)
    if (cancelPending !== null && cancelPending.afterEvent <= applied.length) {
      apply({ type: 'cancelRequested', ...(cancelPending.reason !== null ? { reason: cancelPending.reason } : {}), at: tick() })
      cancelPending = null
    }
    if (deadlinePending !== null && deadlinePending.afterEvent <= applied.length) {
      deadlinePassed = true
      if (!deadlinePending.onClaim) apply({ type: 'deadlinePassed', at: tick() })
      else work.unshift({ kind: 'wake', at: 0 })
      deadlinePending = null
    }
    const item = work.shift()!
    if (item.kind === 'wake')
      apply(deadlinePassed ? { type: 'claimed', at: tick(item.at), previousLeaseExpired: false, deadlinePassed: true } : { type: 'woken', at: tick(item.at) })
    else if (item.kind === 'try') apply(outcomeEvent(item.command, plan.outcomes[tries++ % plan.outcomes.length]!, tick()))
    else if (item.kind === 'timer') {
      const at = tick()
      apply({ type: 'timerStarted', stepKey: item.command.stepKey, until: new Date(Date.parse(at) + sleepMs(item.command.stepKey)).toISOString(), at })
    } else if (item.kind === 'signal') answer(item.command)
    else apply({ type: 'retryRequested', at: tick() })
  }
  // Late copies and a late cancel, delivered after the run ended.
  for (const { pick } of pending) inject(pick)
  if (cancelPending !== null) apply({ type: 'cancelRequested', ...(cancelPending.reason !== null ? { reason: cancelPending.reason } : {}), at: tick() })
  return { applied, journal, stateAtEntry, final: state }
}
