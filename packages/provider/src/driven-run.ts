import type { BranchDefinition, Command, Json, LoopDefinition, RunEvent, RunRecord, RunState, StepDefinition, StoreTransaction, Transition, Workflow } from '@durable/core'
import type { Context } from '@opentelemetry/api'
import type { TryOutcome } from './step-runner.js'
import type { RunExecution } from './run-execution.js'
import type { RuntimeContext } from './runtime-context.js'

/** What a worker does itself while it holds the run, without parking it. */
export type Action = Extract<Command, { type: 'runStep' | 'runCompensation' | 'startTimer' | 'awaitSignal' | 'startChild' | 'awaitChild' | 'selectRoute' }>

/** @internal */
export const ACTIONS: ReadonlySet<Command['type']> = new Set(['runStep', 'runCompensation', 'startTimer', 'awaitSignal', 'startChild', 'awaitChild', 'selectRoute'])

/** The run as this worker drives it: the claimed record, its state and its results so far. */
export interface Driven {
  readonly execution: RunExecution
  readonly run: RunRecord
  readonly workflow: Workflow
  readonly results: Record<string, Json>
  readonly resultsView: Readonly<Record<string, Json>>
  state: RunState
  /** The OpenTelemetry context of this drive's `durable.run` span. */
  readonly trace?: Context
}

/** What the node actions need of the executor that drives the run. @internal */
export interface RunDriver {
  readonly runtime: RuntimeContext
  readonly owner: string
  /** Persists a transition (fenced); returns the next action, or undefined once the run parked, ended or was lost. */
  commit(driven: Driven, next: Transition, resultJson?: string, tx?: StoreTransaction, at?: Date): Promise<Action | undefined>
  /** The step context (without `signal`) for a node. */
  context(driven: Driven, node: { name: string }, attempt: number, iteration?: number): {
    input: Json
    results: Readonly<Record<string, Json>>
    runId: string
    workflowName: string
    stepName: string
    attempt: number
    iteration?: number
  }
  /** The lease is gone: stop driving the run. */
  lost(driven: Driven): void
  /** The event a try's outcome makes (a result that is not JSON fails the step for good). */
  tryEvent(
    driven: Driven,
    step: StepDefinition | LoopDefinition | BranchDefinition,
    command: Extract<Command, { type: 'runStep' | 'runCompensation' }>,
    outcome: TryOutcome,
  ): { event: RunEvent; resultJson?: string }
  /** A try was cut short (lease lost, stop deadline): records nothing, hands the lease back if still held. */
  abandon(driven: Driven, step: { key: string }): Promise<undefined>
}
