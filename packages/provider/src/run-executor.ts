import {
  DurableError,
  isDurableError,
  toJsonText,
  transition,
  type Command,
  type Json,
  type NewJournalEntry,
  type RunEvent,
  type RunState,
  triesInFlight,
  type BranchDefinition,
  type ChildDefinition,
  type ClaimResult,
  type RunRecord,
  type LoopDefinition,
  type ParallelDefinition,
  type RouteDefinition,
  type SignalWaitDefinition,
  type SleepDefinition,
  type StepDefinition,
  type StepError,
  type StoreTransaction,
  type Transition,
} from '@durable/core'
import type { RunExecution } from './run-execution.js'
import { addResult, resultsByName, toSnapshot, type RunSnapshot } from './run-snapshot.js'
import { driveBranches } from './branch-runner.js'
import { startRunSpan, traceTry } from './tracing.js'
import type { RuntimeContext } from './runtime-context.js'
import { runTry, stepErrorOf, type TryOutcome } from './step-runner.js'
import { ACTIONS, type Action, type Driven, type RunDriver } from './driven-run.js'
import { awaitChild, awaitSignal, selectRoute, startChild, startTimer } from './node-actions.js'

type TryCommand = Extract<Command, { type: 'runStep' | 'runCompensation' }>
/** What runs one try: a step, a loop's iteration or a parallel branch. */
type Tried = StepDefinition | LoopDefinition | BranchDefinition

/**
 * Drives one run while this worker holds its lease: consecutive steps run here, one commit per
 * step, with no queue round trip between them. No transaction or row lock is held while a
 * non-transactional handler runs; every commit is fenced by the lease.
 */
export class RunExecutor implements RunDriver {
  readonly #rt: RuntimeContext
  readonly #owner: string

  get runtime(): RuntimeContext {
    return this.#rt
  }

  get owner(): string {
    return this.#owner
  }

  constructor(runtime: RuntimeContext, owner: string) {
    this.#rt = runtime
    this.#owner = owner
  }

  /** Claims the run (unless `started` is a run this worker leased at its creation) and drives it. */
  async advance(execution: RunExecution, started?: RunRecord): Promise<void> {
    const { store, clock, leaseMs, registry, queue } = this.#rt
    await this.#rt.syncClock()
    const now = clock.now()
    const claim: ClaimResult = started
      ? { claimed: true, run: started, previousLeaseExpired: false }
      : await store.claimRun(execution.runId, { owner: this.#owner, now, leaseUntil: new Date(now.getTime() + leaseMs), workflowNames: registry.names })
    if (!claim.claimed) {
      // Woken early (a collapsed or duplicate job): make sure a job exists for the due time.
      if (claim.reason === 'notDue' && claim.dueAt !== null) await queue.dispatch({ runId: execution.runId, runAt: claim.dueAt })
      return
    }
    execution.leased = true
    const { run } = claim
    const workflow = registry.get(run.workflowName)!
    const results = run.state.position > 0 || run.state.status === 'compensating' ? resultsByName(await store.loadResults(run.id)) : {}
    const span = startRunSpan(run)
    const driven: Driven = { execution, run, workflow, results, resultsView: readOnly(results), state: run.state, trace: span.context }
    const at = now.toISOString()
    const cancel = run.cancelRequest
    const cancelling = cancel != null && run.state.error?.code !== 'RUN_CANCELLED' && run.state.status !== 'compensating'
    const first: RunEvent = cancelling
      ? { type: 'cancelRequested', ...(cancel.reason !== null ? { reason: cancel.reason } : {}), at }
      : claim.previousLeaseExpired
        ? { type: 'leaseExpired', at }
        : { type: 'woken', at }
    try {
      let action = await this.commit(driven, transition(workflow, driven.state, first), undefined, undefined, now)
      while (action !== undefined) {
        if (execution.stopRequested) return await this.#handBack(driven)
        action = await this.#perform(driven, action)
      }
    } catch (error) {
      if (isDurableError(error, 'STORE_UNAVAILABLE')) {
        this.#rt.logger.warn({ runId: run.id, err: error }, `run "${run.id}" paused: the database is unreachable; the worker hands it back once the database answers`)
      } else {
        this.#rt.logger.error({ runId: run.id, err: error }, `run "${run.id}" stopped on an unexpected error; another worker will take it over when its lease expires`)
      }
      execution.abort(error instanceof Error ? error : new Error(String(error)))
    } finally {
      execution.leased = false
      span.end(driven.state.status)
    }
  }

  async #perform(driven: Driven, action: Action): Promise<Action | undefined> {
    // Core commands only what is at the run's position (the step, or the one being compensated).
    const node = driven.workflow.steps[driven.state.position]!
    if (action.type === 'startTimer') return startTimer(this, driven, node as SleepDefinition)
    if (action.type === 'awaitSignal') return awaitSignal(this, driven, node as SignalWaitDefinition, action.timeoutAt)
    if (action.type === 'selectRoute') return selectRoute(this, driven, node as RouteDefinition)
    if (action.type === 'startChild') return startChild(this, driven, node as ChildDefinition)
    if (action.type === 'awaitChild') return awaitChild(this, driven, node as ChildDefinition, action.childRunId)
    if (node.kind === 'parallel') {
      if (action.type === 'runStep') return driveBranches(this, driven, node)
      return this.#try(driven, branchOf(node, action.stepKey), action)
    }
    return this.#try(driven, node as StepDefinition | LoopDefinition, action)
  }

  /** Runs one try of a step or compensator and commits its outcome; returns the next action, if any. */
  async #try(driven: Driven, step: Tried, command: TryCommand): Promise<Action | undefined> {
    if (command.type === 'runStep' && step.kind === 'step' && step.transactional) return this.#transactionalTry(driven, step, command)
    const handler = command.type === 'runStep' ? step.handler : (step as StepDefinition).compensation!.handler
    const ctx = this.context(driven, { name: step.kind === 'branch' ? step.key : step.name }, command.attempt, command.type === 'runStep' ? command.iteration : undefined)
    const kind = command.type === 'runStep' ? 'step' : 'compensation'
    const outcome = await traceTry(driven.trace, { ...ctx, kind }, () => runTry(handler, ctx, kind === 'step' ? step.timeoutMs : undefined, driven.execution.signal))
    if (outcome.kind === 'aborted') return this.abandon(driven, step)
    const { event, resultJson } = this.tryEvent(driven, step, command, outcome)
    return this.commit(driven, transition(driven.workflow, driven.state, event), resultJson)
  }

  /** A transactional step's writes through `ctx.tx` commit with its journal entry, or not at all. */
  async #transactionalTry(driven: Driven, step: StepDefinition, command: TryCommand): Promise<Action | undefined> {
    let failure: TryOutcome | undefined
    let next: Action | undefined
    try {
      await this.#rt.store.transaction(async (tx) => {
        const ctx = { ...this.context(driven, step, command.attempt), tx }
        const outcome = await traceTry(driven.trace, { ...ctx, kind: 'step' }, () => runTry(step.handler, ctx, step.timeoutMs, driven.execution.signal))
        const { event, resultJson } = this.tryEvent(driven, step, command, outcome)
        if (outcome.kind !== 'returned' || event.type !== 'stepCompleted') {
          failure = outcome
          throw ROLLBACK
        }
        next = await this.commit(driven, transition(driven.workflow, driven.state, event), resultJson, tx)
      })
    } catch (error) {
      // A lost COMMIT after the entry was written leaves this worker's view ahead of the store:
      // the store then refuses its further writes to the run until it claims it again.
      if (error !== ROLLBACK && failure === undefined) failure = { kind: 'threw', error: stepErrorOf(error) }
    }
    if (failure === undefined) return next
    if (failure.kind === 'aborted') return this.abandon(driven, step)
    const { event } = this.tryEvent(driven, step, command, failure)
    return this.commit(driven, transition(driven.workflow, driven.state, event))
  }

  /** The event a try's outcome makes; a result that is not JSON fails the step for good. */
  tryEvent(driven: Driven, step: Tried, command: TryCommand, outcome: TryOutcome): { event: RunEvent; resultJson?: string } {
    const at = this.#rt.clock.now().toISOString()
    const base = { stepKey: command.stepKey, attempt: command.attempt, at }
    const failed = (error: StepError): RunEvent =>
      command.type === 'runStep' ? { type: 'stepFailed', ...base, error } : { type: 'compensationFailed', ...base, error }
    if (outcome.kind === 'threw') return { event: failed(outcome.error) }
    if (command.type === 'runCompensation') return { event: { type: 'compensationCompleted', ...base } }
    const value = outcome.kind === 'returned' ? outcome.value : null
    try {
      const resultJson = toJsonText(value, `result of step "${step.key}" in run "${driven.run.id}"`, this.#rt.maxPayloadBytes)
      const result = JSON.parse(resultJson) as Json
      if (step.kind !== 'loop') return { event: { type: 'stepCompleted', ...base, result }, resultJson }
      // A loop's until() sees the result as it is stored, the same after a crash as before.
      const ctx = { ...this.context(driven, step, command.attempt, command.type === 'runStep' ? command.iteration : undefined), signal: driven.execution.signal }
      return { event: { type: 'stepCompleted', ...base, result, done: step.until(result, ctx) === true }, resultJson }
    } catch (error) {
      // Retrying would return the same value again: the step fails for good.
      return { event: failed({ ...stepErrorOf(error), retryable: false }) }
    }
  }

  /**
   * Persists a transition: state, journal entry and lease in one fenced statement. Returns the
   * next try to run in this worker, or undefined when the run parked, ended or was lost.
   */
  async commit(driven: Driven, next: Transition, resultJson?: string, tx?: StoreTransaction, at?: Date): Promise<Action | undefined> {
    const { store, queue, clock, leaseMs } = this.#rt
    const entries = next.commands.flatMap((c) => (c.type === 'appendJournal' ? [c.entry] : []))
    const action = next.commands.find((c) => c.type !== 'appendJournal')
    const continues = action !== undefined && ACTIONS.has(action.type) ? (action as Action) : undefined
    // Branches still running in this worker keep the run held even when nothing new starts.
    const holds = continues !== undefined || triesInFlight(next.state)
    // Nothing to journal and nothing changed but pending → running, which the claim already
    // shows: the next commit writes the state, so this costs no round trip.
    if (entries.length === 0 && continues !== undefined && (next.state === driven.state || onlyStarted(driven.state, next.state))) {
      driven.state = next.state
      return continues
    }
    // The journal's time is the event's: replaying the journal then computes the same due times.
    const now = at ?? clock.now()
    const wakeAt = action?.type === 'scheduleWake' ? new Date(action.at) : undefined
    const ends = action?.type === 'completeRun' || action?.type === 'failRun'
    const update = {
      runId: driven.run.id,
      owner: this.#owner,
      state: next.state,
      dueAt: holds ? now : (wakeAt ?? null),
      leaseUntil: holds ? new Date(now.getTime() + leaseMs) : null,
      now,
      ...(entries.length > 0 ? { journal: entries.map((entry) => journalEntry(entry, resultJson)) } : {}),
      ...(ends && driven.run.parentRunId !== null ? { wake: driven.run.parentRunId } : {}),
    }
    const wake = wakeAt !== undefined ? { runId: driven.run.id, runAt: wakeAt } : undefined
    let held: boolean
    if (wake !== undefined && queue.transactional && tx === undefined) {
      held = await store.transaction(async (own) => (await store.updateRun(update, own)) && (await queue.dispatch(wake, { transaction: own }), true))
    } else {
      held = await store.updateRun(update, tx)
      if (held && wake !== undefined) await queue.dispatch(wake, queue.transactional && tx !== undefined ? { transaction: tx } : undefined)
    }
    if (!held) {
      this.lost(driven)
      return undefined
    }
    driven.state = next.state
    for (const entry of entries) if (RESULT_KINDS.has(entry.kind)) addResult(driven.results, { ...entry, result: entry.result ?? null })
    if (!holds) driven.execution.leased = false
    if (ends) {
      // In a caller's transaction the end is not committed yet: waiters read it back instead.
      this.#rt.events.emit('ended', driven.run.id, tx === undefined ? finalSnapshot(driven, now) : undefined)
      // The parent is due already (same statement); the job only saves the reconciler's delay.
      if (driven.run.parentRunId !== null) await queue.dispatch({ runId: driven.run.parentRunId }).catch(() => {})
    }
    return continues
  }

  context(driven: Driven, step: { name: string }, attempt: number, iteration?: number) {
    return {
      input: driven.run.input,
      results: driven.resultsView,
      runId: driven.run.id,
      workflowName: driven.workflow.name,
      stepName: step.name,
      attempt,
      ...(iteration !== undefined ? { iteration } : {}),
    }
  }

  /** Gives the lease back at a step boundary so another worker continues at once. */
  async #handBack(driven: Driven): Promise<void> {
    await this.#rt.store.releaseLeases(this.#owner, [driven.run.id])
    driven.execution.leased = false
    await this.#rt.queue.dispatch({ runId: driven.run.id })
  }

  /** The try was abandoned (lease lost or stop deadline): record nothing, give the lease back if still ours. */
  async abandon(driven: Driven, step: { key: string }): Promise<undefined> {
    this.#rt.logger.warn({ runId: driven.run.id, step: step.key }, `abandoned step "${step.key}" of run "${driven.run.id}": ${String(driven.execution.signal.reason?.message ?? 'stopped')}`)
    if (driven.execution.leased) await this.#handBack(driven).catch(() => {})
    return undefined
  }

  lost(driven: Driven): void {
    driven.execution.leased = false
    const error = new DurableError('LEASE_LOST', `this worker lost the lease of run "${driven.run.id}" (another worker took it over); its last result was discarded`)
    this.#rt.logger.warn({ runId: driven.run.id }, error.message)
    driven.execution.abort(error)
  }
}

const ROLLBACK = Symbol('rollback')

function onlyStarted(before: RunState, after: RunState): boolean {
  return before.status === 'pending' && after.status === 'running' && after.position === before.position && after.attempt === before.attempt && after.dueAt === before.dueAt
}
/** Journal kinds whose result is the step's result (`ctx.results[name]`). */
const RESULT_KINDS: ReadonlySet<string> = new Set(['step_completed', 'signal_received', 'child_completed', 'route_selected'])

/** The snapshot of a run this worker just ended, as `find` would read it. */
function finalSnapshot(driven: Driven, now: Date): RunSnapshot {
  const { state } = driven
  const run: RunRecord = { ...driven.run, status: state.status, state, error: state.error, dueAt: null, leaseOwner: null, leaseExpiresAt: null, updatedAt: now }
  return toSnapshot(run, { ...driven.results })
}

function branchOf(node: ParallelDefinition, stepKey: string): BranchDefinition {
  return node.branches.find((b) => b.key === stepKey)!
}

function journalEntry(entry: Extract<Command, { type: 'appendJournal' }>['entry'], resultJson: string | undefined): NewJournalEntry {
  return {
    stepKey: entry.stepKey,
    stepName: entry.stepName,
    kind: entry.kind,
    attempt: entry.attempt,
    ...(entry.kind === 'step_completed' ? { resultJson: resultJson ?? JSON.stringify(entry.result ?? null) } : entry.result !== undefined ? { resultJson: JSON.stringify(entry.result) } : {}),
    ...(entry.error !== undefined ? { error: entry.error } : {}),
  }
}


function readOnly<T extends object>(target: T): Readonly<T> {
  return new Proxy(target, {
    set: () => {
      throw new TypeError('ctx.results is read-only: return a value from the step instead')
    },
    deleteProperty: () => {
      throw new TypeError('ctx.results is read-only')
    },
  })
}
