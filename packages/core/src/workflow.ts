import { parseDuration, type Duration } from './duration.js'
import { describeValue } from './describe-value.js'
import { DurableError } from './errors.js'
import { checkFlowControl, type FlowControl, type FlowControlOptions } from './flow-control.js'
import { assertName, retryPolicy, stepParts, type BranchOptions } from './definition-checks.js'
import type { Backoff, BranchOutput, BranchSpec, StepContext, StepHandler, StepOptions, StoreTransaction } from './step-context.js'
import type { Jsonify, WorkflowName } from './jsonify.js'
import {
  branchKey,
  type BranchDefinition,
  type ChildDefinition,
  type LoopDefinition,
  type ParallelDefinition,
  type RouteDefinition,
  type SignalWaitDefinition,
  type SleepDefinition,
  type StepDefinition,
  type Workflow,
  type WorkflowNode,
} from './workflow-nodes.js'

/**
 * Builds a workflow one step at a time; every method returns a new builder, typed one step further.
 * `Results` holds each step's result as stored ({@link Jsonify}); `Tx` is the type of `ctx.tx`.
 */
export class WorkflowBuilder<Input, Results extends Record<string, unknown> = {}, Tx = StoreTransaction> implements Workflow<Input, Results> {
  readonly name: string
  readonly version: string | undefined
  readonly steps: readonly WorkflowNode[]
  /** Concurrency and rate limits, checked; undefined when the workflow has none. */
  readonly flowControl: FlowControl | undefined
  declare readonly __types?: { input: Input; results: Results }

  /** @internal use `defineWorkflow` */
  constructor(name: string, version: string | undefined, flowControl: FlowControl | undefined, steps: readonly WorkflowNode[]) {
    this.name = name
    this.version = version
    this.flowControl = flowControl
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
    handler: StepHandler<Input, Results, Output, Tx>,
    options: StepOptions<Input, Results & { [K in Name]: Jsonify<Awaited<Output>> }, Tx> = {},
  ): WorkflowBuilder<Input, Results & { [K in Name]: Jsonify<Awaited<Output>> }, Tx> {
    const where = this.#checkNewName(name)
    if (typeof handler !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs a handler function`)
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_DEFINITION', `options of ${where} must be an object`)
    const step: StepDefinition = { kind: 'step', name, key: name, ...stepParts({ ...options, handler }, where), transactional: options.transactional === true }
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, step])
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
  ): WorkflowBuilder<Input, Results, Tx> {
    const where = this.#checkNewName(name)
    const node: SleepDefinition = {
      kind: 'sleep',
      name,
      key: name,
      duration: typeof duration === 'function' ? (duration as SleepDefinition['duration']) : parseDuration(duration, `duration of ${where}`),
      compensation: undefined,
    }
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, node])
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
  waitForSignal<Name extends string, Payload = unknown>(name: Name, options: { timeout?: Duration } = {}): WorkflowBuilder<Input, Results & { [K in Name]: Jsonify<Payload> }, Tx> {
    const where = this.#checkNewName(name)
    if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_DEFINITION', `options of ${where} must be an object`)
    const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout, `timeout of ${where}`)
    if (timeoutMs !== undefined && timeoutMs <= 0) throw new DurableError('INVALID_DEFINITION', `timeout of ${where} must be more than 0`)
    const node: SignalWaitDefinition = { kind: 'waitForSignal', name, key: name, timeoutMs, compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, node])
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
    handler: StepHandler<Input, Results, Output, Tx>,
    options: {
      until: (result: Jsonify<Awaited<Output>>, ctx: StepContext<Input, Results, Tx>) => boolean
      maxIterations: number
      delay?: Duration
      maxAttempts?: number
      backoff?: Backoff
      timeout?: Duration
    },
  ): WorkflowBuilder<Input, Results & { [K in Name]: Jsonify<Awaited<Output>> }, Tx> {
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
      handler: handler as StepHandler<any, any, unknown, any>,
      until: options.until as LoopDefinition['until'],
      maxIterations,
      delayMs: options.delay === undefined ? 0 : parseDuration(options.delay, `delay of ${where}`),
      retry: retryPolicy(options, where),
      timeoutMs,
      compensation: undefined,
    }
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, node])
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
  ): WorkflowBuilder<Input, Results & { [K in Name]: ChildResults }, Tx> {
    const where = this.#checkNewName(name)
    const workflowName = typeof workflow === 'string' ? workflow : workflow?.name
    if (typeof workflowName !== 'string' || workflowName.length === 0) throw new DurableError('INVALID_DEFINITION', `${where} needs a workflow or a workflow name`)
    if (typeof input !== 'function') throw new DurableError('INVALID_DEFINITION', `${where} needs an input function (ctx) => childInput`)
    const workflowVersion = typeof workflow === 'string' ? undefined : workflow.version
    const node: ChildDefinition = { kind: 'child', name, key: name, workflowName, workflowVersion, input: input as ChildDefinition['input'], compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, node])
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
  ): WorkflowBuilder<Input, Results & { [K in Name]: { [B in keyof Branches]: Jsonify<BranchOutput<Branches[B]>> } }, Tx> {
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
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, node])
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
  route<Name extends string, Branches extends Record<string, (branch: WorkflowBuilder<Input, Results, Tx>) => WorkflowBuilder<Input, any, Tx>>>(
    name: Name,
    select: (ctx: Omit<StepContext<Input, Results>, 'signal' | 'tx'>) => string,
    branches: Branches,
  ): WorkflowBuilder<Input, Results & { [K in Name]: keyof Branches & string }, Tx> {
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
      const built = (build as (b: WorkflowBuilder<Input, Results, Tx>) => unknown)(new WorkflowBuilder(this.name, this.version, this.flowControl, known))
      if (!(built instanceof WorkflowBuilder)) throw new DurableError('INVALID_DEFINITION', `branch "${key}" of ${where} must return the builder it was given`)
      const added = (built.steps as readonly WorkflowNode[]).slice(known.length)
      const offset = start + nested.length
      spans[key] = { start: offset, end: offset + added.length }
      for (const node of added) nested.push(shiftInto(node, { route: name, key }, offset - known.length))
      known = [...known, ...added]
    }
    const after = start + nested.length
    const route: WorkflowNode = { kind: 'route', name, key: name, select: select as RouteDefinition['select'], branches: spans, after, compensation: undefined }
    return new WorkflowBuilder(this.name, this.version, this.flowControl, [...this.steps, route, ...nested])
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
 * `Input` is what `start` takes; it must be storable as JSON (a `bigint`, a function or a `Map`
 * in it is a compile error here: {@link WorkflowName}). Handlers see it as stored: a `Date` is an
 * ISO string in `ctx.input`, as are dates in the results of earlier steps ({@link Jsonify}).
 * `Tx`, the type of `ctx.tx` in `transactional` steps, defaults to what the store's package
 * declares (`StoreTransaction`); pass it (`PostgresTransaction`) to depend on no such declaration.
 *
 * ### Example
 * ```ts
 * const checkout = defineWorkflow<{ sku: string; qty: number }>('checkout')
 *   .step('reserve', (ctx) => reserveStock(ctx.input.sku, ctx.input.qty))
 *   .step('charge', (ctx) => chargeCard(ctx.results.reserve), { maxAttempts: 5 })
 * ```
 *
 * Flow control, enforced by the store across every worker: `concurrency` (at most `limit` runs
 * with the same key held by workers at once) and `rateLimit` (at most `limit` runs with the same
 * key begin per `period`). A limit below 1, a key that is not a function or a period that does
 * not parse → `INVALID_DEFINITION`; a key function that throws or returns no string refuses the
 * `start` with `INVALID_INPUT`.
 *
 * ```ts
 * defineWorkflow<{ tenant: string }>('sync', {
 *   concurrency: { limit: 2, key: (input) => input.tenant },
 *   rateLimit: { limit: 100, period: '1m', key: (input) => input.tenant },
 * })
 * ```
 */
export function defineWorkflow<Input = undefined, Tx = StoreTransaction>(
  name: WorkflowName<Input>,
  options: { version?: string } & FlowControlOptions<Input> = {},
): WorkflowBuilder<Input, {}, Tx> {
  assertName(name, 'a workflow name')
  if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_DEFINITION', `options of workflow "${name}" must be an object`)
  if (options.version !== undefined && typeof options.version !== 'string') {
    throw new DurableError('INVALID_DEFINITION', `version of workflow "${name}" must be a string`)
  }
  const flowControl = checkFlowControl(options as FlowControlOptions<unknown>, name)
  return new WorkflowBuilder<Input, {}, Tx>(name, options.version, flowControl, [])
}

/** A branch's node moved into the parent plan: positions shift, and it is marked as in the branch. */
function shiftInto(node: WorkflowNode, branch: { route: string; key: string }, shift: number): WorkflowNode {
  const inBranch = [branch, ...(node.inBranch ?? [])]
  if (node.kind !== 'route') return { ...node, inBranch }
  const branches = Object.fromEntries(Object.entries(node.branches).map(([k, span]) => [k, { start: span.start + shift, end: span.end + shift }]))
  return { ...node, branches, after: node.after + shift, inBranch }
}
