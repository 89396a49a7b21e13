import {
  DurableError,
  isDurableError,
  toJsonText,
  transition,
  type Command,
  type Json,
  type NewJournalEntry,
  type RunEvent,
  type RunRecord,
  type RunState,
  type StepDefinition,
  type StepError,
  type StoreTransaction,
  type Transition,
  type Workflow,
} from '@durable/core'
import type { RunExecution } from './run-execution.js'
import { resultsByName } from './run-snapshot.js'
import type { RuntimeContext } from './runtime-context.js'
import { runTry, type TryOutcome } from './step-runner.js'

type TryCommand = Extract<Command, { type: 'runStep' | 'runCompensation' }>

/** The run as this worker drives it: the claimed record, its state and its results so far. */
interface Driven {
  readonly execution: RunExecution
  readonly run: RunRecord
  readonly workflow: Workflow
  readonly results: Record<string, Json>
  readonly resultsView: Readonly<Record<string, Json>>
  state: RunState
}

/**
 * Drives one run while this worker holds its lease: consecutive steps run here, one commit per
 * step, with no queue round trip between them. No transaction or row lock is held while a
 * non-transactional handler runs; every commit is fenced by the lease.
 */
export class RunExecutor {
  readonly #rt: RuntimeContext
  readonly #owner: string

  constructor(runtime: RuntimeContext, owner: string) {
    this.#rt = runtime
    this.#owner = owner
  }

  async advance(execution: RunExecution): Promise<void> {
    const { store, clock, leaseMs, registry, queue } = this.#rt
    const now = clock.now()
    const claim = await store.claimRun(execution.runId, {
      owner: this.#owner,
      now,
      leaseUntil: new Date(now.getTime() + leaseMs),
      workflowNames: registry.names,
    })
    if (!claim.claimed) {
      // Woken early (a collapsed or duplicate job): make sure a job exists for the due time.
      if (claim.reason === 'notDue' && claim.dueAt !== null) await queue.dispatch({ runId: execution.runId, runAt: claim.dueAt })
      return
    }
    execution.leased = true
    const { run } = claim
    const workflow = registry.get(run.workflowName)!
    const results = run.state.position > 0 || run.state.status === 'compensating' ? resultsByName(workflow, await store.loadResults(run.id)) : {}
    const driven: Driven = { execution, run, workflow, results, resultsView: readOnly(results), state: run.state }
    const at = now.toISOString()
    const first: RunEvent = claim.previousLeaseExpired ? { type: 'leaseExpired', at } : { type: 'woken', at }
    try {
      let action = await this.#commit(driven, transition(workflow, driven.state, first))
      while (action !== undefined) {
        if (execution.stopRequested) return await this.#handBack(driven)
        action = await this.#try(driven, action)
      }
    } catch (error) {
      this.#rt.logger.error({ runId: run.id, err: error }, `run "${run.id}" stopped on an unexpected error; another worker will take it over when its lease expires`)
      execution.abort(error instanceof Error ? error : new Error(String(error)))
    } finally {
      execution.leased = false
    }
  }

  /** Runs one try of a step or compensator and commits its outcome; returns the next try, if any. */
  async #try(driven: Driven, command: TryCommand): Promise<TryCommand | undefined> {
    const step = driven.workflow.steps.find((s) => s.key === command.stepKey)!
    if (command.type === 'runStep' && step.transactional) return this.#transactionalTry(driven, step, command)
    const handler = command.type === 'runStep' ? step.handler : step.compensation!.handler
    const outcome = await runTry(handler, this.#context(driven, step, command.attempt), command.type === 'runStep' ? step.timeoutMs : undefined, driven.execution.signal)
    if (outcome.kind === 'aborted') return this.#abandon(driven, step)
    const { event, resultJson } = this.#eventOf(driven, step, command, outcome)
    return this.#commit(driven, transition(driven.workflow, driven.state, event), resultJson)
  }

  /** A transactional step's writes through `ctx.tx` commit with its journal entry, or not at all. */
  async #transactionalTry(driven: Driven, step: StepDefinition, command: TryCommand): Promise<TryCommand | undefined> {
    let failure: TryOutcome | undefined
    let next: TryCommand | undefined
    try {
      await this.#rt.store.transaction(async (tx) => {
        const outcome = await runTry(step.handler, { ...this.#context(driven, step, command.attempt), tx }, step.timeoutMs, driven.execution.signal)
        const { event, resultJson } = this.#eventOf(driven, step, command, outcome)
        if (outcome.kind !== 'returned' || event.type !== 'stepCompleted') {
          failure = outcome
          throw ROLLBACK
        }
        next = await this.#commit(driven, transition(driven.workflow, driven.state, event), resultJson, tx)
      })
    } catch (error) {
      if (error !== ROLLBACK && failure === undefined) failure = { kind: 'threw', error: stepErrorOf(error) }
    }
    if (failure === undefined) return next
    if (failure.kind === 'aborted') return this.#abandon(driven, step)
    const { event } = this.#eventOf(driven, step, command, failure)
    return this.#commit(driven, transition(driven.workflow, driven.state, event))
  }

  #eventOf(driven: Driven, step: StepDefinition, command: TryCommand, outcome: TryOutcome): { event: RunEvent; resultJson?: string } {
    const at = this.#rt.clock.now().toISOString()
    const base = { stepKey: step.key, attempt: command.attempt, at }
    const failed = (error: StepError): RunEvent =>
      command.type === 'runStep' ? { type: 'stepFailed', ...base, error } : { type: 'compensationFailed', ...base, error }
    if (outcome.kind === 'threw') return { event: failed(outcome.error) }
    if (command.type === 'runCompensation') return { event: { type: 'compensationCompleted', ...base } }
    const value = outcome.kind === 'returned' ? outcome.value : null
    try {
      const resultJson = toJsonText(value, `result of step "${step.name}" in run "${driven.run.id}"`, this.#rt.maxPayloadBytes)
      return { event: { type: 'stepCompleted', ...base, result: JSON.parse(resultJson) as Json }, resultJson }
    } catch (error) {
      // Retrying would return the same value again: the step fails for good.
      return { event: failed({ ...stepErrorOf(error), retryable: false }) }
    }
  }

  /**
   * Persists a transition: state, journal entry and lease in one fenced statement. Returns the
   * next try to run in this worker, or undefined when the run parked, ended or was lost.
   */
  async #commit(driven: Driven, next: Transition, resultJson?: string, tx?: StoreTransaction): Promise<TryCommand | undefined> {
    const { store, queue, clock, leaseMs } = this.#rt
    const entry = next.commands.find((c) => c.type === 'appendJournal')
    const action = next.commands.find((c) => c.type !== 'appendJournal')
    const continues = action?.type === 'runStep' || action?.type === 'runCompensation' ? action : undefined
    if (entry === undefined && next.state === driven.state && continues !== undefined) return continues
    const now = clock.now()
    const wakeAt = action?.type === 'scheduleWake' ? new Date(action.at) : undefined
    const update = {
      runId: driven.run.id,
      owner: this.#owner,
      state: next.state,
      dueAt: continues !== undefined ? now : (wakeAt ?? null),
      leaseUntil: continues !== undefined ? new Date(now.getTime() + leaseMs) : null,
      now,
      ...(entry !== undefined ? { journal: journalEntry(entry.entry, resultJson) } : {}),
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
      this.#lost(driven)
      return undefined
    }
    driven.state = next.state
    if (entry?.entry.kind === 'step_completed') driven.results[entry.entry.stepName] = entry.entry.result ?? null
    if (continues === undefined) driven.execution.leased = false
    if (action?.type === 'completeRun' || action?.type === 'failRun') this.#rt.events.emit('ended', driven.run.id)
    return continues
  }

  #context(driven: Driven, step: StepDefinition, attempt: number) {
    return {
      input: driven.run.input,
      results: driven.resultsView,
      runId: driven.run.id,
      workflowName: driven.workflow.name,
      stepName: step.name,
      attempt,
    }
  }

  /** Gives the lease back at a step boundary so another worker continues at once. */
  async #handBack(driven: Driven): Promise<void> {
    await this.#rt.store.releaseLeases(this.#owner, [driven.run.id])
    driven.execution.leased = false
    await this.#rt.queue.dispatch({ runId: driven.run.id })
  }

  /** The try was abandoned (lease lost or stop deadline): record nothing, give the lease back if still ours. */
  async #abandon(driven: Driven, step: StepDefinition): Promise<undefined> {
    this.#rt.logger.warn({ runId: driven.run.id, step: step.name }, `abandoned step "${step.name}" of run "${driven.run.id}": ${String(driven.execution.signal.reason?.message ?? 'stopped')}`)
    if (driven.execution.leased) await this.#handBack(driven).catch(() => {})
    return undefined
  }

  #lost(driven: Driven): void {
    driven.execution.leased = false
    const error = new DurableError('LEASE_LOST', `this worker lost the lease of run "${driven.run.id}" (another worker took it over); its last result was discarded`)
    this.#rt.logger.warn({ runId: driven.run.id }, error.message)
    driven.execution.abort(error)
  }
}

const ROLLBACK = Symbol('rollback')

function journalEntry(entry: Extract<Command, { type: 'appendJournal' }>['entry'], resultJson: string | undefined): NewJournalEntry {
  return {
    stepKey: entry.stepKey,
    stepName: entry.stepName,
    kind: entry.kind,
    attempt: entry.attempt,
    ...(entry.kind === 'step_completed' ? { resultJson: resultJson ?? 'null' } : {}),
    ...(entry.error !== undefined ? { error: entry.error } : {}),
  }
}

function stepErrorOf(error: unknown): StepError {
  const message = error instanceof Error ? error.message : String(error)
  const code = isDurableError(error) ? error.code : undefined
  return { name: error instanceof Error ? error.name : 'Error', message, ...(code !== undefined ? { code } : {}), retryable: code === undefined }
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
