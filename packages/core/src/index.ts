/**
 * `@durable/core`: the workflow builder, the errors, and the pure state machine that decides
 * what a run does next. No I/O, no timers, no clock: time arrives inside events, and the
 * runtime (`@durable/provider`) carries out the commands.
 *
 * ```ts
 * import { defineWorkflow, NonRetryableError } from '@durable/core'
 *
 * export const checkout = defineWorkflow<{ sku: string }>('checkout')
 *   .step('reserve', (ctx) => reserveStock(ctx.input.sku), { compensate: (ctx) => release(ctx.results.reserve.id) })
 *   .step('charge', (ctx) => charge(ctx.results.reserve), { maxAttempts: 5 })
 * ```
 *
 * @packageDocumentation
 */
export { defineWorkflow, WorkflowBuilder } from './workflow.js'
export { branchKey, defaultBackoff, iterationKey } from './workflow-nodes.js'
export type { Backoff, BranchOutput, BranchSpec, Compensation, DurableTypes, StepContext, StepHandler, StepOptions, StoreTransaction } from './step-context.js'
export type {
  BranchDefinition,
  ChildDefinition,
  LoopDefinition,
  ParallelDefinition,
  RetryPolicy,
  RouteDefinition,
  SignalWaitDefinition,
  SleepDefinition,
  StepDefinition,
  Workflow,
  WorkflowInput,
  WorkflowNode,
  WorkflowResults,
} from './workflow-nodes.js'
export { DurableError, isDurableError, NonRetryableError, NotSerializableError, RunNotActiveError, RunNotFoundError, toStepError, WorkflowNotRegisteredError } from './errors.js'
export type { ErrorCode, StepError } from './errors.js'
export { parseDuration } from './duration.js'
export { checkPriority, FLOW_RECHECK_MS, runFlow } from './flow-control.js'
export type { FlowControl, FlowControlOptions, RunFlow } from './flow-control.js'
export { describeValue } from './describe-value.js'
export type { Duration } from './duration.js'
export { DEFAULT_MAX_PAYLOAD_BYTES, MAX_JSON_DEPTH, toJsonText } from './json.js'
export type { Json } from './json.js'
export type { JsonInput, Jsonify, WorkflowName } from './jsonify.js'
export { currentStep, initialState, retryable, RUN_KEY, transition } from './transition.js'
export { eventOf, replay } from './replay.js'
export { triesInFlight } from './nodes/parallel.js'
export { addRunResult, RESULT_KINDS, runResults } from './results.js'
export type { ResultEntry } from './results.js'
export { describeShapeChange, workflowShape } from './workflow-shape.js'
export { planFork } from './fork.js'
export { signalNames } from './plan.js'
export { waitingFor } from './waiting-for.js'
export type { WaitingFor } from './waiting-for.js'
export type { ForkPlan } from './fork.js'
export type { JournaledRecord } from './replay.js'
export { isTerminal, TERMINAL_STATUSES } from './run-state.js'
export { notStarted, stateFromStore, storedState } from './stored-state.js'
export { timerOf } from './node-timer.js'
export { assertOneUpdatePerRun } from './run-store.js'
export type { StoredState } from './stored-state.js'
export type { BranchState, Command, Compensated, JournalKind, JournalRecord, NodeCursor, RunError, RunEvent, RunState, RunStatus, Transition } from './run-state.js'
export type {
  ClaimResult,
  DefinitionKey,
  JournalEntry,
  ListRunsQuery,
  NewJournalEntry,
  NewRun,
  PendingSignal,
  PruneRunsQuery,
  RunChange,
  RunRecord,
  RunStats,
  RunStore,
  RunUpdate,
  ScheduleAdvance,
  ScheduleRecord,
  WorkerLiveness,
} from './run-store.js'
export { LIVE_OWNER_MARK } from './run-store.js'
export type { JournalStore, LeaseStore, RunRepository, ScheduleDefinitionRecord, ScheduleStore, SignalStore, StoreLifecycle, WorkerCoordination } from './run-store-roles.js'
