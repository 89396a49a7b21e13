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
export { branchKey, defineWorkflow, defaultBackoff, iterationKey, WorkflowBuilder } from './workflow.js'
export type {
  Backoff,
  BranchDefinition,
  BranchOutput,
  BranchSpec,
  ChildDefinition,
  Compensation,
  DurableTypes,
  LoopDefinition,
  ParallelDefinition,
  RetryPolicy,
  RouteDefinition,
  StepContext,
  SignalWaitDefinition,
  SleepDefinition,
  StepDefinition,
  StepHandler,
  StepOptions,
  StoreTransaction,
  Workflow,
  WorkflowInput,
  WorkflowNode,
  WorkflowResults,
} from './workflow.js'
export {
  DurableError,
  isDurableError,
  NonRetryableError,
  NotSerializableError,
  RunNotActiveError,
  RunNotFoundError,
  toStepError,
  WorkflowNotRegisteredError,
} from './errors.js'
export type { ErrorCode, StepError } from './errors.js'
export { parseDuration } from './duration.js'
export { describeValue } from './describe-value.js'
export type { Duration } from './duration.js'
export { DEFAULT_MAX_PAYLOAD_BYTES, MAX_JSON_DEPTH, toJsonText } from './json.js'
export type { Json } from './json.js'
export { currentStep, initialState, RUN_KEY, transition } from './transition.js'
export { eventOf, replay } from './replay.js'
export { triesInFlight } from './parallel.js'
export type { JournaledRecord } from './replay.js'
export { isTerminal, TERMINAL_STATUSES } from './run-state.js'
export type { BranchState, Command, JournalKind, JournalRecord, RunError, RunEvent, RunState, RunStatus, Transition } from './run-state.js'
export type {
  ClaimResult,
  JournalEntry,
  ListRunsQuery,
  NewJournalEntry,
  NewRun,
  RunChange,
  RunRecord,
  RunStats,
  RunStore,
  RunUpdate,
  WorkerLiveness,
} from './run-store.js'
export { LIVE_OWNER_MARK } from './run-store.js'
