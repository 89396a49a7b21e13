import {
  addRunResult,
  currentStep,
  notStarted,
  describeShapeChange,
  DurableError,
  runResults,
  isDurableError,
  toJsonText,
  transition,
  type Command,
  type Json,
  type NewJournalEntry,
  type RunEvent,
  type RunState,
  triesInFlight,
  timerOf,
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
import type { ClaimedRun } from '@durable/queue-adapter'
import type { Drive } from './drive.js'
import { toSnapshot, type RunSnapshot } from './run-snapshot.js'
import { driveBranches } from './branch-runner.js'
import { startRunSpan, traceTry } from './tracing.js'
import type { RuntimeContext } from './runtime-context.js'
import { runTry, stepErrorOf, type TryOutcome } from './step-runner.js'
import { describeVersion } from './workflow-registry.js'
import { ACTIONS, type Action } from './actions.js'
import { CommitPipeline } from './commit-pipeline.js'
import { awaitChild, awaitSignal, selectRoute, startChild, startTimer } from './node-actions.js'
import { cancelChild } from './run-requests.js'

type TryCommand = Extract<Command, { type: 'runStep' | 'runCompensation' }>
/** What runs one try: a step, a loop's iteration or a parallel branch. */
type Tried = StepDefinition | LoopDefinition | BranchDefinition

/**
 * Drives one run while this worker holds its lease: consecutive steps run here, one fenced
 * commit per step, with no queue round trip between them; the commits of all the runs this
 * worker drives share statements (`CommitPipeline`). No transaction or row lock is held while a
 * non-transactional handler runs; every commit is fenced by the lease.
 */
export class RunDriver {
  readonly #rt: RuntimeContext
  readonly #owner: string
  /** Runs whose missing definition was logged already. */
  readonly #warned = new Set<string>()
  /** The step commits of all the runs this worker drives, gathered into shared statements. */
  readonly #commits: CommitPipeline

  get runtime(): RuntimeContext {
    return this.#rt
  }

  get owner(): string {
    return this.#owner
  }

  constructor(runtime: RuntimeContext, owner: string) {
    this.#rt = runtime
    this.#owner = owner
    this.#commits = new CommitPipeline(runtime.store)
  }

  /**
   * Claims the run (unless it is `claimed` already: leased to this worker at its creation, or by
   * the queue's take of its job) and drives it.
   * Returns the id of a run of higher priority to drive instead, when one outranked this one.
   */
  async advance(drive: Drive, claimed?: ClaimedRun): Promise<string | undefined> {
    const { store, clock, leaseMs, registry, queue } = this.#rt
    await this.#rt.syncClock()
    const now = clock.now()
    const claim: ClaimResult = claimed
      ? { claimed: true, ...claimed }
      : await store.claimRun(drive.runId, { owner: this.#owner, now, leaseUntil: new Date(now.getTime() + leaseMs), definitions: registry.definitions })
    if (!claim.claimed) {
      // Woken early (a collapsed or duplicate job), or a rate limit reserved it a later slot:
      // make sure a job exists for the due time. A run held back by its concurrency key
      // (`limited`, no due time) is woken by the run that frees a slot.
      if ((claim.reason === 'notDue' || claim.reason === 'limited') && claim.dueAt !== null) await queue.dispatch({ runId: drive.runId, runAt: claim.dueAt })
      if (claim.reason === 'unregistered') await this.#definitionMissing(drive.runId)
      if (claim.reason === 'outranked') {
        // Still due: its job goes back to the queue, and this slot takes the better run.
        await queue.dispatch({ runId: drive.runId })
        return claim.outrankedBy
      }
      return undefined
    }
    drive.leased = true
    const { run } = claim
    const workflow = registry.forRun(run)?.workflow
    if (workflow === undefined) throw new DurableError('WORKFLOW_NOT_REGISTERED', `run "${run.id}" was claimed without its definition`)
    // A run that never committed a transition has no journal; every other one is read back whole.
    const results = notStarted(run.state) ? {} : runResults(await store.loadResults(run.id))
    const span = startRunSpan(run)
    drive.claimed(run, workflow, results, span.context)
    const at = now.toISOString()
    // The deadline is read on the claim's clock (the database's): passed, the claim applies it;
    // not yet, this worker watches it while it holds the run.
    const deadlinePassed = run.deadlineAt != null && run.deadlineAt.getTime() <= now.getTime()
    const first: RunEvent = {
      type: 'claimed',
      at,
      previousLeaseExpired: claim.previousLeaseExpired,
      ...(run.cancelRequest != null ? { cancel: run.cancelRequest } : {}),
      ...(deadlinePassed ? { deadlinePassed: true } : {}),
    }
    if (!deadlinePassed) drive.watchDeadline(run.deadlineAt, () => clock.now().getTime())
    try {
      let action = await this.commit(drive, transition(workflow, drive.state, first), undefined, undefined, now)
      while (action !== undefined) {
        if (drive.stopRequested) {
          await this.#handBack(drive)
          return undefined
        }
        if (this.#deadlineReached(drive)) {
          action = await this.applyDeadline(drive, action)
          continue
        }
        action = await this.#perform(drive, action)
      }
    } catch (error) {
      if (isDurableError(error, 'STORE_UNAVAILABLE')) {
        this.#rt.logger.warn({ runId: run.id, err: error }, `run "${run.id}" paused: the database is unreachable; the worker hands it back once the database answers`)
      } else {
        this.#rt.logger.error({ runId: run.id, err: error }, `run "${run.id}" stopped on an unexpected error; another worker will take it over when its lease expires`)
      }
      drive.abort(error instanceof Error ? error : new Error(String(error)))
    } finally {
      drive.deadlineApplied()
      drive.leased = false
      span.end(drive.state.status)
    }
  }

  /** True when the run's deadline, not applied yet, has passed on the runtime's clock. */
  #deadlineReached(drive: Drive): boolean {
    return drive.deadlineAt !== undefined && (drive.deadlinePassed || drive.deadlineAt <= this.#rt.clock.now().getTime())
  }

  /**
   * Applies the run's deadline while this worker holds the run: core stops it and rolls it back.
   * A run rolling back already (a failure, a cancel) carries on with `otherwise`.
   */
  async applyDeadline(drive: Drive, otherwise: Action | undefined): Promise<Action | undefined> {
    drive.deadlineApplied()
    const now = this.#rt.clock.now()
    const next = transition(drive.workflow, drive.state, { type: 'deadlinePassed', at: now.toISOString() })
    if (next.state === drive.state) return otherwise
    this.#rt.logger.info(
      { runId: drive.run.id, step: drive.state.step },
      `run "${drive.run.id}" timed out at step "${drive.state.step}": the timeout given to start() passed; rolling it back`,
    )
    return this.commit(drive, next, undefined, undefined, now)
  }

  /**
   * When a run this worker parks must be looked at again: at `wake` (its sleep, backoff or
   * signal timeout; null: when something happens), or at its deadline if that comes first.
   */
  dueWhenParked(drive: Drive, wake: Date | null): Date | null {
    const deadline = drive.deadlineAt
    if (deadline === undefined || (wake !== null && wake.getTime() <= deadline)) return wake
    return new Date(deadline)
  }

  /**
   * A run this worker cannot drive: its definition's version is not registered here (normal in
   * a rolling deploy: a worker that has it takes the run), or the code under its name and
   * version has other steps now. The second is a mistake to fix, said once per run.
   */
  async #definitionMissing(runId: string): Promise<void> {
    const { store, registry, logger } = this.#rt
    if (this.#warned.has(runId)) return
    const run = await store.getRun(runId)
    if (run === undefined) return
    this.#warned.add(runId)
    if (this.#warned.size > 10_000) this.#warned.clear()
    const same = registry.version(run.workflowName, run.workflowVersion)
    const name = `workflow "${run.workflowName}" version ${describeVersion(run.workflowVersion)}`
    if (same === undefined) {
      const known = registry.versionsOf(run.workflowName).map((d) => describeVersion(d.key.version))
      logger.info({ runId }, `run "${runId}" of ${name} waits for a worker that has that version (this one has ${known.length > 0 ? known.join(', ') : 'none of that name'})`)
      return
    }
    const recorded = run.shapeHash === null ? undefined : await store.loadShape(run.shapeHash)
    const change = recorded === undefined ? 'its steps differ' : describeShapeChange(recorded, same.shape)
    logger.warn(
      { runId, workflowName: run.workflowName, version: run.workflowVersion },
      `run "${runId}" of ${name} waits: the code registered under that name and version has other steps than the run started with (${change}). Nothing of it runs until a worker registers the definition it started with; give changed steps a new version: defineWorkflow(name, { version })`,
    )
  }

  async #perform(drive: Drive, action: Action): Promise<Action | undefined> {
    // Core commands only what is at the run's step (the one to run, or the one being compensated).
    const node = currentStep(drive.workflow, drive.state)!
    if (action.type === 'startTimer') return startTimer(this, drive, node as SleepDefinition)
    if (action.type === 'awaitSignal') return awaitSignal(this, drive, node as SignalWaitDefinition, action.timeoutAt)
    if (action.type === 'selectRoute') return selectRoute(this, drive, node as RouteDefinition)
    if (action.type === 'startChild') return startChild(this, drive, node as ChildDefinition)
    if (action.type === 'awaitChild') return awaitChild(this, drive, node as ChildDefinition, action.childRunId)
    if (node.kind === 'parallel') {
      if (action.type === 'runStep') return driveBranches(this, drive, node)
      return this.#try(drive, branchOf(node, action.stepKey), action)
    }
    return this.#try(drive, node as StepDefinition | LoopDefinition, action)
  }

  /** Runs one try of a step or compensator and commits its outcome; returns the next action, if any. */
  async #try(drive: Drive, step: Tried, command: TryCommand): Promise<Action | undefined> {
    if (command.type === 'runStep' && step.kind === 'step' && step.transactional) return this.#transactionalTry(drive, step, command)
    const handler = command.type === 'runStep' ? step.handler : (step as StepDefinition).compensation!.handler
    const ctx = this.context(drive, { name: step.kind === 'branch' ? step.key : step.name }, command.attempt, command.type === 'runStep' ? command.iteration : undefined)
    const kind = command.type === 'runStep' ? 'step' : 'compensation'
    const stop = kind === 'step' ? drive.trySignal : drive.signal
    const outcome = await traceTry(drive.trace, { ...ctx, kind }, () => runTry(handler, ctx, kind === 'step' ? step.timeoutMs : undefined, stop))
    if (outcome.kind === 'aborted') return this.abandon(drive, step)
    const { event, resultJson } = this.tryEvent(drive, step, command, outcome)
    return this.commit(drive, transition(drive.workflow, drive.state, event), resultJson)
  }

  /** A transactional step's writes through `ctx.tx` commit with its journal entry, or not at all. */
  async #transactionalTry(drive: Drive, step: StepDefinition, command: TryCommand): Promise<Action | undefined> {
    let failure: TryOutcome | undefined
    let next: Action | undefined
    try {
      await this.#rt.store.transaction(async (tx) => {
        const ctx = { ...this.context(drive, step, command.attempt), tx }
        const outcome = await traceTry(drive.trace, { ...ctx, kind: 'step' }, () => runTry(step.handler, ctx, step.timeoutMs, drive.trySignal))
        const { event, resultJson } = this.tryEvent(drive, step, command, outcome)
        if (outcome.kind !== 'returned' || event.type !== 'stepCompleted') {
          failure = outcome
          throw ROLLBACK
        }
        next = await this.commit(drive, transition(drive.workflow, drive.state, event), resultJson, tx)
      })
    } catch (error) {
      // A lost COMMIT after the entry was written leaves this worker's view ahead of the store:
      // the store then refuses its further writes to the run until it claims it again.
      if (error !== ROLLBACK && failure === undefined) failure = { kind: 'threw', error: stepErrorOf(error) }
    }
    if (failure === undefined) return next
    if (failure.kind === 'aborted') return this.abandon(drive, step)
    const { event } = this.tryEvent(drive, step, command, failure)
    return this.commit(drive, transition(drive.workflow, drive.state, event))
  }

  /** The event a try's outcome makes; a result that is not JSON fails the step for good. */
  tryEvent(drive: Drive, step: Tried, command: TryCommand, outcome: TryOutcome): { event: RunEvent; resultJson?: string } {
    const at = this.#rt.clock.now().toISOString()
    const base = { stepKey: command.stepKey, attempt: command.attempt, at }
    const failed = (error: StepError): RunEvent => (command.type === 'runStep' ? { type: 'stepFailed', ...base, error } : { type: 'compensationFailed', ...base, error })
    if (outcome.kind === 'threw') return { event: failed(outcome.error) }
    if (command.type === 'runCompensation') return { event: { type: 'compensationCompleted', ...base } }
    const value = outcome.kind === 'returned' ? outcome.value : null
    try {
      const resultJson = toJsonText(value, `result of step "${step.key}" in run "${drive.run.id}"`, this.#rt.maxPayloadBytes)
      const result = JSON.parse(resultJson) as Json
      if (step.kind !== 'loop') return { event: { type: 'stepCompleted', ...base, result }, resultJson }
      // A loop's until() sees the result as it is stored, the same after a crash as before.
      const ctx = { ...this.context(drive, step, command.attempt, command.type === 'runStep' ? command.iteration : undefined), signal: drive.signal }
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
  async commit(drive: Drive, next: Transition, resultJson?: string, tx?: StoreTransaction, at?: Date): Promise<Action | undefined> {
    const { store, queue, clock, leaseMs } = this.#rt
    const entries = next.commands.flatMap((c) => (c.type === 'appendJournal' ? [c.entry] : []))
    const action = next.commands.find((c) => c.type !== 'appendJournal' && c.type !== 'cancelChild')
    const continues = action !== undefined && ACTIONS.has(action.type) ? (action as Action) : undefined
    // Branches still running in this worker keep the run held even when nothing new starts.
    const holds = continues !== undefined || triesInFlight(next.state)
    // Nothing to journal and nothing changed but pending → running, which the claim already
    // shows: the next commit writes the state, so this costs no round trip.
    if (entries.length === 0 && continues !== undefined && (next.state === drive.state || onlyStarted(drive.state, next.state))) {
      drive.state = next.state
      return continues
    }
    // The journal's time is the event's: replaying the journal then computes the same due times.
    const now = at ?? clock.now()
    const ends = action?.type === 'completeRun' || action?.type === 'failRun'
    const wakeAt = holds || ends ? null : this.dueWhenParked(drive, action?.type === 'scheduleWake' ? new Date(action.at) : null)
    // Before the commit: cancelling is idempotent, so a crash in between only makes the run's
    // next holder cancel the child again, which finds it cancelled.
    for (const command of next.commands) {
      if (command.type === 'cancelChild') await cancelChild(this.#rt, command.childRunId, `parent run "${drive.run.id}" timed out`)
    }
    const update = {
      runId: drive.run.id,
      owner: this.#owner,
      state: next.state,
      dueAt: holds ? now : wakeAt,
      leaseUntil: holds ? new Date(now.getTime() + leaseMs) : null,
      now,
      ...(entries.length > 0 ? { journal: entries.map((entry) => journalEntry(entry, resultJson)) } : {}),
      ...(ends && drive.run.parentRunId !== null ? { wake: drive.run.parentRunId } : {}),
    }
    const wake = wakeAt !== null ? { runId: drive.run.id, runAt: wakeAt } : undefined
    let held: boolean
    if (tx !== undefined) {
      // A transactional step: its writes, its journal entry and its wake-up job commit together.
      held = await store.updateRun(update, tx)
      if (held && wake !== undefined) await queue.dispatch(wake, queue.transactional ? { transaction: tx } : undefined)
    } else if (wake !== undefined && queue.transactional) {
      // A timer's job commits with the state that parks the run (rare: off the group commit).
      held = await store.transaction(async (own) => (await store.updateRun(update, own)) && (await queue.dispatch(wake, { transaction: own }), true))
    } else {
      held = await this.#commits.commit(update)
      if (held && wake !== undefined) await queue.dispatch(wake)
    }
    if (!held) {
      this.lost(drive)
      return undefined
    }
    drive.state = next.state
    for (const entry of entries) addRunResult(drive.results, entry)
    if (!holds) {
      drive.leased = false
      if (tx === undefined) this.wakeHeldBack(drive.run)
    }
    if (ends) {
      // In a caller's transaction the end is not committed yet: waiters read it back instead.
      this.#rt.events.emit('ended', drive.run.id, tx === undefined ? finalSnapshot(drive, now) : undefined)
      // The parent is due already (same statement); the job only saves the reconciler's delay.
      if (drive.run.parentRunId !== null) await queue.dispatch({ runId: drive.run.parentRunId }).catch(() => {})
    }
    return continues
  }

  context(drive: Drive, step: { name: string }, attempt: number, iteration?: number) {
    return {
      input: drive.run.input,
      results: drive.resultsView,
      runId: drive.run.id,
      workflowName: drive.workflow.name,
      stepName: step.name,
      attempt,
      ...(iteration !== undefined ? { iteration } : {}),
    }
  }

  /** Gives the lease back at a step boundary so another worker continues at once. */
  async #handBack(drive: Drive): Promise<void> {
    await this.#rt.store.releaseLeases(this.#owner, [drive.run.id])
    drive.leased = false
    await this.#rt.queue.dispatch({ runId: drive.run.id })
    this.wakeHeldBack(drive.run)
  }

  /**
   * The run gave its slot of a concurrency key back (it parked, ended, or was handed back): wake
   * the runs a claim held back on that key, as many as it has free slots. Their claims decide;
   * a wake-up lost here only delays them until the reconciler retries held-back runs.
   */
  wakeHeldBack(run: RunRecord): void {
    const concurrency = run.flow?.concurrency
    if (concurrency == null) return
    const { store, queue, clock, registry } = this.#rt
    const heldBackOn = { workflowName: run.workflowName, concurrencyKey: concurrency.key }
    void store
      .findDueRuns({ now: clock.now(), definitions: registry.definitions, limit: concurrency.limit, heldBackOn })
      .then((ids) => Promise.all(ids.map((runId) => queue.dispatch({ runId }))))
      .catch(() => {})
  }

  /**
   * The try was abandoned: the run's deadline passed (core stops the run), or the lease was lost
   * or the worker stops (record nothing, give the lease back if still ours).
   */
  async abandon(drive: Drive, step: { key: string }): Promise<Action | undefined> {
    if (!drive.signal.aborted && drive.deadlinePassed && drive.deadlineAt !== undefined) {
      const before = drive.state
      const next = await this.applyDeadline(drive, undefined)
      if (drive.state !== before || !drive.leased) return next
    }
    this.#rt.logger.warn({ runId: drive.run.id, step: step.key }, `abandoned step "${step.key}" of run "${drive.run.id}": ${String(drive.signal.reason?.message ?? 'stopped')}`)
    if (drive.leased) await this.#handBack(drive).catch(() => {})
    return undefined
  }

  lost(drive: Drive): void {
    drive.leased = false
    const error = new DurableError('LEASE_LOST', `this worker lost the lease of run "${drive.run.id}" (another worker took it over); its last result was discarded`)
    this.#rt.logger.warn({ runId: drive.run.id }, error.message)
    drive.abort(error)
  }
}

const ROLLBACK = Symbol('rollback')

function onlyStarted(before: RunState, after: RunState): boolean {
  return notStarted(before) && after.status === 'running' && after.attempt === before.attempt && timerOf(after) === timerOf(before)
}

/** The snapshot of a run this worker just ended, as `find` would read it. */
function finalSnapshot(drive: Drive, now: Date): RunSnapshot {
  const { state } = drive
  const run: RunRecord = { ...drive.run, status: state.status, state, error: state.error, dueAt: null, leaseOwner: null, leaseExpiresAt: null, updatedAt: now }
  return toSnapshot(run, { ...drive.results })
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
    ...(entry.kind === 'step_completed'
      ? { resultJson: resultJson ?? JSON.stringify(entry.result ?? null) }
      : entry.result !== undefined
        ? { resultJson: JSON.stringify(entry.result) }
        : {}),
    ...(entry.error !== undefined ? { error: entry.error } : {}),
  }
}
