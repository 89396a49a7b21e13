import { parseDuration, type Duration } from './duration.js'
import { DurableError } from './errors.js'

/**
 * Types that other packages fill in by declaration merging. `@durable/store-postgres` sets
 * `transaction` to Kysely's `Transaction`, so `ctx.tx` is typed in `transactional` steps.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface DurableTypes {}

/** The store's transaction handed to `transactional` steps as `ctx.tx`. */
export type StoreTransaction = DurableTypes extends { transaction: infer T } ? T : unknown

/** What a step handler receives. */
export interface StepContext<Input = unknown, Results = Record<string, unknown>> {
  readonly input: Input
  /** Results of the steps finished before this one, by step name. */
  readonly results: Results
  readonly runId: string
  readonly workflowName: string
  readonly stepName: string
  /** 1 on the first try; durable: a crash does not reset it. */
  readonly attempt: number
  readonly iteration?: number
  /** Aborted when the step times out, the run is cancelled or this worker lost its lease. */
  readonly signal: AbortSignal
  /** The store's transaction; only `transactional` steps get it. */
  readonly tx?: StoreTransaction
}

export type StepHandler<Input, Results, Output> = (ctx: StepContext<Input, Results>) => Output | Promise<Output>

/** How a failed attempt waits before the next: gets the failed attempt's number (1-based). */
export type Backoff = (failedAttempt: number) => Duration

/** A compensator: a function, or one with its own retry policy. */
export type Compensation<Input, Results> =
  | StepHandler<Input, Results, unknown>
  | { handler: StepHandler<Input, Results, unknown>; maxAttempts?: number; backoff?: Backoff }

export interface StepOptions<Input, Results> {
  /** Undoes the step when a later step fails for good (saga). Gets the step's own result in `ctx.results`. */
  compensate?: Compensation<Input, Results>
  /** Tries in all, the first included. Default 3. */
  maxAttempts?: number
  /** Delay after failed attempt n. Default `min(2^n s, 60 s)`. */
  backoff?: Backoff
  /** Aborts `ctx.signal` and fails the attempt with `STEP_TIMEOUT` after this long. */
  timeout?: Duration
  /** Runs the handler inside the store's transaction (`ctx.tx`); its writes commit with the journal entry. */
  transactional?: boolean
}

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
  readonly handler: StepHandler<any, any, unknown>
  readonly retry: RetryPolicy
  readonly timeoutMs: number | undefined
  readonly transactional: boolean
  readonly compensation: { readonly handler: StepHandler<any, any, unknown>; readonly retry: RetryPolicy } | undefined
}

/** A defined workflow: its name, version and steps in order. */
export interface Workflow<Input = any, Results = any> {
  readonly name: string
  readonly version: string | undefined
  readonly steps: readonly StepDefinition[]
  /** Phantom fields that carry the types; never set at run time. */
  readonly __types?: { input: Input; results: Results }
}

/** Input type of a workflow. */
export type WorkflowInput<W> = W extends Workflow<infer I, any> ? I : never
/** Results type of a workflow (the map of step name to result). */
export type WorkflowResults<W> = W extends Workflow<any, infer R> ? R : never

/** The default backoff: 2^n seconds after failed attempt n, at most 60 seconds. */
export const defaultBackoff: Backoff = (failedAttempt) => Math.min(2 ** failedAttempt * 1000, 60_000)

/** Builds a workflow one step at a time; every method returns a new builder, typed one step further. */
export class WorkflowBuilder<Input, Results extends Record<string, unknown> = {}> implements Workflow<Input, Results> {
  readonly name: string
  readonly version: string | undefined
  readonly steps: readonly StepDefinition[]
  declare readonly __types?: { input: Input; results: Results }

  /** @internal use `defineWorkflow` */
  constructor(name: string, version: string | undefined, steps: readonly StepDefinition[]) {
    this.name = name
    this.version = version
    this.steps = steps
  }

  /**
   * Adds a step. Its result is journaled and appears as `ctx.results[name]` in later steps.
   *
   * ### Example
   * ```ts
   * defineWorkflow<{ sku: string }>('order')
   *   .step('reserve', (ctx) => reserve(ctx.input.sku), { compensate: (ctx) => release(ctx.results.reserve.id) })
   * ```
   */
  step<Name extends string, Output>(
    name: Name,
    handler: StepHandler<Input, Results, Output>,
    options: StepOptions<Input, Results & { [K in Name]: Awaited<Output> }> = {},
  ): WorkflowBuilder<Input, Results & { [K in Name]: Awaited<Output> }> {
    const where = `step "${String(name)}" of workflow "${this.name}"`
    assertName(name, `a step name in workflow "${this.name}"`)
    if (this.steps.some((s) => s.name === name || s.key === name)) {
      throw new DurableError('DUPLICATE_STEP', `workflow "${this.name}" already has a step named "${name}": step names must be unique`)
    }
    if (typeof handler !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs a handler function`)
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_DEFINITION', `options of ${where} must be an object`)
    const step: StepDefinition = {
      kind: 'step',
      name,
      key: name,
      handler: handler as StepHandler<any, any, unknown>,
      retry: retryPolicy(options, where),
      timeoutMs: options.timeout === undefined ? undefined : parseDuration(options.timeout, `timeout of ${where}`),
      transactional: options.transactional === true,
      compensation: compensation(options.compensate, where),
    }
    if (step.timeoutMs !== undefined && step.timeoutMs <= 0) {
      throw new DurableError('INVALID_DEFINITION', `timeout of ${where} must be more than 0`)
    }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, step])
  }
}

/**
 * Starts a workflow definition. Every builder method checks its arguments at once and throws
 * `DurableError` (`INVALID_DEFINITION`, `DUPLICATE_STEP`) before anything is registered or written.
 *
 * ### Example
 * ```ts
 * const checkout = defineWorkflow<{ sku: string; qty: number }>('checkout')
 *   .step('reserve', (ctx) => reserveStock(ctx.input.sku, ctx.input.qty))
 *   .step('charge', (ctx) => chargeCard(ctx.results.reserve), { maxAttempts: 5 })
 * ```
 */
export function defineWorkflow<Input = undefined>(name: string, options: { version?: string } = {}): WorkflowBuilder<Input, {}> {
  assertName(name, 'a workflow name')
  if (options.version !== undefined && typeof options.version !== 'string') {
    throw new DurableError('INVALID_DEFINITION', `version of workflow "${name}" must be a string`)
  }
  return new WorkflowBuilder<Input, {}>(name, options.version, [])
}

const MAX_NAME_LENGTH = 200

function assertName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new DurableError('INVALID_DEFINITION', `${what} must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`)
  }
  if (name.length > MAX_NAME_LENGTH) throw new DurableError('INVALID_DEFINITION', `${what} is longer than ${MAX_NAME_LENGTH} characters`)
  if (name.includes('\u0000') || !name.isWellFormed()) {
    throw new DurableError('INVALID_DEFINITION', `${what} contains \\u0000 or a lone surrogate, which Postgres cannot store`)
  }
}

function retryPolicy(options: { maxAttempts?: unknown; backoff?: unknown }, where: string): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 3
  if (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new DurableError('INVALID_DEFINITION', `maxAttempts of ${where} must be a whole number ≥ 1, got ${String(maxAttempts)}`)
  }
  if (options.backoff !== undefined && typeof options.backoff !== 'function') {
    throw new DurableError('INVALID_DEFINITION', `backoff of ${where} must be a function (failedAttempt) => Duration`)
  }
  return { maxAttempts, backoff: (options.backoff as Backoff | undefined) ?? defaultBackoff }
}

function compensation(value: unknown, where: string): StepDefinition['compensation'] {
  if (value === undefined) return undefined
  if (typeof value === 'function') return { handler: value as StepHandler<any, any, unknown>, retry: retryPolicy({}, `compensation of ${where}`) }
  if (typeof value === 'object' && value !== null && typeof (value as { handler?: unknown }).handler === 'function') {
    const spec = value as { handler: StepHandler<any, any, unknown>; maxAttempts?: unknown; backoff?: unknown }
    return { handler: spec.handler, retry: retryPolicy(spec, `compensation of ${where}`) }
  }
  throw new DurableError('INVALID_DEFINITION', `compensate of ${where} must be a function or { handler, maxAttempts?, backoff? }`)
}
