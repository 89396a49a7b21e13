import type { Duration } from './duration.js'
import type { FlowControl } from './flow-control.js'
import type { Backoff, StepContext, StepHandler } from './step-context.js'

/** A retry policy with defaults applied. */
export interface RetryPolicy {
  readonly maxAttempts: number
  readonly backoff: Backoff
}

/** One step of a workflow, as the runtime sees it. */
export interface StepDefinition {
  readonly kind: 'step'
  readonly name: string
  /** Stable key that identifies the step in the journal. */
  readonly key: string
  readonly handler: StepHandler<any, any, unknown, any>
  readonly retry: RetryPolicy
  readonly timeoutMs: number | undefined
  readonly transactional: boolean
  readonly compensation: { readonly handler: StepHandler<any, any, unknown, any>; readonly retry: RetryPolicy } | undefined
}

/** A durable timer: the run parks, held by no worker, until the time computed from `duration`. */
export interface SleepDefinition {
  readonly kind: 'sleep'
  readonly name: string
  readonly key: string
  /** Milliseconds, or a function of the context returning a `Duration` or a `Date`. */
  readonly duration: number | ((ctx: Omit<StepContext<any, any>, 'signal' | 'attempt' | 'tx'>) => Duration | Date)
  readonly compensation: undefined
}

/** A wait for a signal named like the step; its payload becomes the step's result. */
export interface SignalWaitDefinition {
  readonly kind: 'waitForSignal'
  readonly name: string
  readonly key: string
  readonly timeoutMs: number | undefined
  readonly compensation: undefined
}

/** A step run again and again until `until` says done; each iteration is journaled (`poll#3`). */
export interface LoopDefinition {
  readonly kind: 'loop'
  readonly name: string
  readonly key: string
  readonly handler: StepHandler<any, any, unknown, any>
  readonly until: (result: any, ctx: StepContext<any, any>) => boolean
  readonly maxIterations: number
  readonly delayMs: number
  readonly retry: RetryPolicy
  readonly timeoutMs: number | undefined
  readonly compensation: undefined
}

/** Starts a run of another workflow and waits for it; its results map becomes this step's result. */
export interface ChildDefinition {
  readonly kind: 'child'
  readonly name: string
  readonly key: string
  readonly workflowName: string
  /** The version of the workflow object the builder was given; by name, the current version. */
  readonly workflowVersion: string | undefined
  readonly input: (ctx: Omit<StepContext<any, any>, 'signal' | 'tx'>) => unknown
  readonly compensation: undefined
}

/**
 * Chooses one of several branches by a key computed from the context; the key is journaled
 * (`route_selected`), so a replay never chooses again. The branches' nodes follow this one in
 * the plan; `branches[key]` says where each starts and ends.
 */
export interface RouteDefinition {
  readonly kind: 'route'
  readonly name: string
  readonly key: string
  readonly select: (ctx: Omit<StepContext<any, any>, 'signal' | 'tx'>) => string
  /** Each branch's nodes: plan positions [start, end). */
  readonly branches: Readonly<Record<string, { readonly start: number; readonly end: number }>>
  /** The position right after every branch. */
  readonly after: number
  readonly compensation: undefined
}

/**
 * Branches that run at the same time, each a step of its own journaled under `name.branch`;
 * the run goes on once all are journaled. `branches` keeps the definition order, which is the
 * reverse of the order their compensators run in.
 */
export interface ParallelDefinition {
  readonly kind: 'parallel'
  readonly name: string
  readonly key: string
  readonly branches: readonly BranchDefinition[]
  readonly compensation: undefined
}

/** One branch of a `parallel` node: a step whose journal key is `parallel.branch`. */
export interface BranchDefinition extends Omit<StepDefinition, 'kind'> {
  readonly kind: 'branch'
  /** The branch's own name, the key of its result in `results[parallel]`. */
  readonly branch: string
}

/** One entry of a workflow's plan. */
export type WorkflowNode = (StepDefinition | SleepDefinition | SignalWaitDefinition | LoopDefinition | ChildDefinition | RouteDefinition | ParallelDefinition) & {
  /** The route branches this node sits in, outermost first; absent at the top level. */
  readonly inBranch?: ReadonlyArray<{ readonly route: string; readonly key: string }>
}

/** The journal key of a parallel branch. */
export function branchKey(parallel: { key: string }, branch: string): string {
  return `${parallel.key}.${branch}`
}

/** The journal key of iteration `iteration` of a loop. */
export function iterationKey(loop: { key: string }, iteration: number): string {
  return `${loop.key}#${iteration}`
}

/** A defined workflow: its name, version and steps in order. */
export interface Workflow<Input = any, Results = any> {
  readonly name: string
  readonly version: string | undefined
  readonly steps: readonly WorkflowNode[]
  /** Concurrency and rate limits (`defineWorkflow`'s options), enforced by the store. */
  readonly flowControl?: FlowControl | undefined
  /** Phantom fields that carry the types; never set at run time. */
  readonly __types?: { input: Input; results: Results }
}

/** Input type of a workflow. */
export type WorkflowInput<W> = W extends Workflow<infer I, any> ? I : never
/** Results type of a workflow (the map of step name to result). */
export type WorkflowResults<W> = W extends Workflow<any, infer R> ? R : never

/** The default backoff: 2^n seconds after failed attempt n, at most 60 seconds. */
export const defaultBackoff: Backoff = (failedAttempt) => Math.min(2 ** failedAttempt * 1000, 60_000)
