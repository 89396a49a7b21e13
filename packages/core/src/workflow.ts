import { parseDuration, type Duration } from './duration.js'
import { describeValue } from './describe-value.js'
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

/** A parallel branch: a handler, or one with its own retries, timeout and compensator. */
export type BranchSpec<Input, Results> =
  | StepHandler<Input, Results, unknown>
  | {
      handler: StepHandler<Input, Results, unknown>
      compensate?: Compensation<Input, Results>
      maxAttempts?: number
      backoff?: Backoff
      timeout?: Duration
    }

/** What a branch's handler resolves to. */
export type BranchOutput<B> = B extends (...args: any[]) => infer O ? Awaited<O> : B extends { handler: (...args: any[]) => infer O } ? Awaited<O> : never

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
  readonly handler: StepHandler<any, any, unknown>
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
  readonly steps: readonly WorkflowNode[]
  declare readonly __types?: { input: Input; results: Results }

  /** @internal use `defineWorkflow` */
  constructor(name: string, version: string | undefined, steps: readonly WorkflowNode[]) {
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
    const where = this.#checkNewName(name)
    if (typeof handler !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs a handler function`)
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_DEFINITION', `options of ${where} must be an object`)
    const step: StepDefinition = { kind: 'step', name, key: name, ...stepParts({ ...options, handler }, where), transactional: options.transactional === true }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, step])
  }

  /**
   * Parks the run until a time: no worker holds a sleeping run, it costs one row. The wake-up
   * time is journaled (`timer_started`), so a crash neither shortens nor restarts the sleep.
   *
   * ### Example
   * ```ts
   * .sleep('cool-off', '1h')
   * .sleep('until-opening', (ctx) => new Date(ctx.results.order.opensAt))
   * ```
   */
  sleep<Name extends string>(
    name: Name,
    duration: Duration | ((ctx: Omit<StepContext<Input, Results>, 'signal' | 'attempt' | 'tx'>) => Duration | Date),
  ): WorkflowBuilder<Input, Results> {
    const where = this.#checkNewName(name)
    const node: SleepDefinition = {
      kind: 'sleep',
      name,
      key: name,
      duration: typeof duration === 'function' ? (duration as SleepDefinition['duration']) : parseDuration(duration, `duration of ${where}`),
      compensation: undefined,
    }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, node])
  }

  /**
   * Waits for `durable.signal(runId, name, payload)`; the payload becomes `ctx.results[name]`.
   * A signal sent before the run gets here is kept until it does; each is delivered once.
   * With `timeout`, the step fails with `SIGNAL_TIMEOUT` when no signal came in time.
   *
   * ### Example
   * ```ts
   * .waitForSignal<'approval', { approvedBy: string }>('approval', { timeout: '7d' })
   * ```
   */
  waitForSignal<Name extends string, Payload = unknown>(
    name: Name,
    options: { timeout?: Duration } = {},
  ): WorkflowBuilder<Input, Results & { [K in Name]: Payload }> {
    const where = this.#checkNewName(name)
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_DEFINITION', `options of ${where} must be an object`)
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, `timeout of ${where}`)
    if (timeoutMs !== undefined && timeoutMs <= 0) throw new DurableError('INVALID_DEFINITION', `timeout of ${where} must be more than 0`)
    const node: SignalWaitDefinition = { kind: 'waitForSignal', name, key: name, timeoutMs, compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, node])
  }

  /**
   * Runs `handler` again and again — each iteration journaled under `name#i`, with `ctx.iteration`
   * 0-based — until `until(result, ctx)` is true; `results[name]` is the last result. `delay`
   * waits between iterations on a durable timer. Not done after `maxIterations`: the step fails
   * with `LOOP_LIMIT`. `maxAttempts`, `backoff` and `timeout` apply to each iteration.
   *
   * ### Example
   * ```ts
   * .loop('label', (ctx) => shipping.label(ctx.input.orderId), { until: (label) => label.ready, maxIterations: 20, delay: '30s' })
   * ```
   */
  loop<Name extends string, Output>(
    name: Name,
    handler: StepHandler<Input, Results, Output>,
    options: {
      until: (result: Awaited<Output>, ctx: StepContext<Input, Results>) => boolean
      maxIterations: number
      delay?: Duration
      maxAttempts?: number
      backoff?: Backoff
      timeout?: Duration
    },
  ): WorkflowBuilder<Input, Results & { [K in Name]: Awaited<Output> }> {
    const where = this.#checkNewName(name)
    if (typeof handler !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs a handler function`)
    if (typeof options !== 'object' || options === null || typeof options.until !== 'function') {
      throw new DurableError('INVALID_DEFINITION', `${where} needs options { until: (result, ctx) => boolean, maxIterations }`)
    }
    const { maxIterations } = options
    if (typeof maxIterations !== 'number' || !Number.isInteger(maxIterations) || maxIterations < 1) {
      throw new DurableError('INVALID_DEFINITION', `maxIterations of ${where} must be a whole number ≥ 1, got ${describeValue(maxIterations)}`)
    }
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, `timeout of ${where}`)
    if (timeoutMs !== undefined && timeoutMs <= 0) throw new DurableError('INVALID_DEFINITION', `timeout of ${where} must be more than 0`)
    const node: LoopDefinition = {
      kind: 'loop',
      name,
      key: name,
      handler: handler as StepHandler<any, any, unknown>,
      until: options.until as LoopDefinition['until'],
      maxIterations,
      delayMs: options.delay === undefined ? 0 : parseDuration(options.delay, `delay of ${where}`),
      retry: retryPolicy(options, where),
      timeoutMs,
      compensation: undefined,
    }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, node])
  }

  /**
   * Starts a run of another workflow — in the same transaction that journals this step, with
   * `parentRunId` set — and parks this run until the child ends. `results[name]` is the child's
   * results map; a child that fails or is cancelled fails this step.
   *
   * ### Example
   * ```ts
   * .child('invoice', invoiceWorkflow, (ctx) => ({ orderId: ctx.runId }))
   * ```
   */
  child<Name extends string, ChildInput, ChildResults>(
    name: Name,
    workflow: Workflow<ChildInput, ChildResults> | string,
    input: (ctx: Omit<StepContext<Input, Results>, 'signal' | 'tx'>) => ChildInput,
  ): WorkflowBuilder<Input, Results & { [K in Name]: ChildResults }> {
    const where = this.#checkNewName(name)
    const workflowName = typeof workflow === 'string' ? workflow : workflow?.name
    if (typeof workflowName !== 'string' || workflowName.length === 0) throw new DurableError('INVALID_DEFINITION', `${where} needs a workflow or a workflow name`)
    if (typeof input !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs an input function (ctx) => childInput`)
    const workflowVersion = typeof workflow === 'string' ? undefined : workflow.version
    const node: ChildDefinition = { kind: 'child', name, key: name, workflowName, workflowVersion, input: input as ChildDefinition['input'], compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, node])
  }

  /**
   * Runs branches at the same time — on this worker's concurrency — each journaled on its own
   * (`notify.email`) with its own retries, timeout and compensator. The run goes on once every
   * branch is journaled; `results[name]` maps each branch to its result. A branch that fails for
   * good lets the others finish their current try, starts no new one, and then every completed
   * branch and earlier step is compensated.
   *
   * ### Example
   * ```ts
   * .parallel('notify', {
   *   email: (ctx) => sendEmail(ctx.input.to),
   *   sms: { handler: (ctx) => sendSms(ctx.input.phone), maxAttempts: 5, timeout: '10s' },
   * })
   * ```
   */
  parallel<Name extends string, Branches extends Record<string, BranchSpec<Input, Results>>>(
    name: Name,
    branches: Branches,
  ): WorkflowBuilder<Input, Results & { [K in Name]: { [B in keyof Branches]: BranchOutput<Branches[B]> } }> {
    const where = this.#checkNewName(name)
    if (typeof branches !== 'object' || branches === null || Array.isArray(branches) || Object.keys(branches).length === 0) {
      throw new DurableError('INVALID_DEFINITION', `${where} needs at least one branch: { name: handler | { handler, ... } }`)
    }
    const defined: BranchDefinition[] = []
    for (const [branch, spec] of Object.entries(branches) as Array<[string, unknown]>) {
      assertName(branch, `a branch name of ${where}`)
      const key = branchKey({ key: name }, branch)
      const at = `branch "${branch}" of ${where}`
      if (this.#taken(key)) throw new DurableError('DUPLICATE_STEP', `workflow "${this.name}" already has a step named "${key}", the journal key of ${at}`)
      const options = (typeof spec === 'function' ? { handler: spec } : spec) as BranchOptions | null
      if (typeof options !== 'object' || options === null || typeof options.handler !== 'function') {
        throw new DurableError('INVALID_DEFINITION', `${at} must be a handler function or { handler, compensate?, maxAttempts?, backoff?, timeout? }`)
      }
      if ('transactional' in options) throw new DurableError('INVALID_DEFINITION', `${at} cannot be transactional: branches run at the same time, a transaction serves one`)
      defined.push({ kind: 'branch', name, key, branch, ...stepParts(options, at), transactional: false })
    }
    const node: ParallelDefinition = { kind: 'parallel', name, key: name, branches: defined, compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, node])
  }

  /**
   * Runs one branch chosen by `select(ctx)`: its steps run inline, then the workflow goes on
   * after the route. `results[name]` is the chosen key, journaled once (`route_selected`); a key
   * with no branch fails the step with `UNKNOWN_ROUTE`. Step names stay unique across branches.
   *
   * ### Example
   * ```ts
   * .route('delivery', (ctx) => ctx.input.express ? 'express' : 'standard', {
   *   express: (b) => b.step('courier', bookCourier),
   *   standard: (b) => b.step('post', bookPost),
   * })
   * ```
   */
  route<Name extends string, Branches extends Record<string, (branch: WorkflowBuilder<Input, Results>) => WorkflowBuilder<Input, any>>>(
    name: Name,
    select: (ctx: Omit<StepContext<Input, Results>, 'signal' | 'tx'>) => string,
    branches: Branches,
  ): WorkflowBuilder<Input, Results & { [K in Name]: keyof Branches & string }> {
    const where = this.#checkNewName(name)
    if (typeof select !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs a select function (ctx) => key`)
    if (typeof branches !== 'object' || branches === null || Object.keys(branches).length === 0) {
      throw new DurableError('INVALID_DEFINITION', `${where} needs at least one branch: { key: (b) => b.step(...) }`)
    }
    const start = this.steps.length + 1
    const nested: WorkflowNode[] = []
    const spans: Record<string, { start: number; end: number }> = {}
    let known = [...this.steps, { kind: 'sleep', name, key: name, duration: 0, compensation: undefined } as WorkflowNode]
    for (const [key, build] of Object.entries(branches) as Array<[string, unknown]>) {
      if (typeof build !== 'function') throw new DurableError('INVALID_DEFINITION', `branch "${key}" of ${where} must be a function (b) => b.step(...)`)
      // The branch builder starts from every name defined so far, so duplicates are refused.
      const built = (build as (b: WorkflowBuilder<Input, Results>) => unknown)(new WorkflowBuilder(this.name, this.version, known))
      if (!(built instanceof WorkflowBuilder)) throw new DurableError('INVALID_DEFINITION', `branch "${key}" of ${where} must return the builder it was given`)
      const added = (built.steps as readonly WorkflowNode[]).slice(known.length)
      const offset = start + nested.length
      spans[key] = { start: offset, end: offset + added.length }
      for (const node of added) nested.push(shiftInto(node, { route: name, key }, offset - known.length))
      known = [...known, ...added]
    }
    const after = start + nested.length
    const route: WorkflowNode = { kind: 'route', name, key: name, select: select as RouteDefinition['select'], branches: spans, after, compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, [...this.steps, route, ...nested])
  }

  /** Checks a new step's name and returns how errors should name it. */
  #checkNewName(name: unknown): string {
    assertName(name, `a step name in workflow "${this.name}"`)
    if (this.#taken(name)) {
      throw new DurableError('DUPLICATE_STEP', `workflow "${this.name}" already has a step named "${name}": step names must be unique`)
    }
    return `step "${name}" of workflow "${this.name}"`
  }

  /** True when a step name or journal key is used already, a parallel branch's included. */
  #taken(name: string): boolean {
    return this.steps.some((s) => s.name === name || s.key === name || (s.kind === 'parallel' && s.branches.some((b) => b.key === name)))
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
    throw new DurableError('INVALID_DEFINITION', `${what} must be a non-empty string, got ${describeValue(name)}`)
  }
  if (name.length > MAX_NAME_LENGTH) throw new DurableError('INVALID_DEFINITION', `${what} is longer than ${MAX_NAME_LENGTH} characters`)
  if (name.includes('\u0000') || !name.isWellFormed()) {
    throw new DurableError('INVALID_DEFINITION', `${what} contains \\u0000 or a lone surrogate, which Postgres cannot store`)
  }
}

type BranchOptions = { handler: StepHandler<any, any, unknown>; compensate?: unknown; maxAttempts?: unknown; backoff?: unknown; timeout?: unknown }

/** Handler, retry policy, timeout and compensator of a step or a parallel branch, checked. */
function stepParts(options: BranchOptions, where: string): Omit<StepDefinition, 'kind' | 'name' | 'key' | 'transactional'> {
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout as Duration, `timeout of ${where}`)
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new DurableError('INVALID_DEFINITION', `timeout of ${where} must be more than 0`)
  return { handler: options.handler, retry: retryPolicy(options, where), timeoutMs, compensation: compensation(options.compensate, where) }
}

function retryPolicy(options: { maxAttempts?: unknown; backoff?: unknown }, where: string): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 3
  if (typeof maxAttempts !== 'number' || !Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new DurableError('INVALID_DEFINITION', `maxAttempts of ${where} must be a whole number ≥ 1, got ${describeValue(maxAttempts)}`)
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

/** A branch's node moved into the parent plan: positions shift, and it is marked as in the branch. */
function shiftInto(node: WorkflowNode, branch: { route: string; key: string }, shift: number): WorkflowNode {
  const inBranch = [branch, ...(node.inBranch ?? [])]
  if (node.kind !== 'route') return { ...node, inBranch }
  const branches = Object.fromEntries(Object.entries(node.branches).map(([k, span]) => [k, { start: span.start + shift, end: span.end + shift }]))
  return { ...node, branches, after: node.after + shift, inBranch }
}
