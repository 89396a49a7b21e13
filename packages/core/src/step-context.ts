import type { Duration } from './duration.js'
import type { Jsonify } from './jsonify.js'

/**
 * Types that other packages fill in by declaration merging. `@durable/store-postgres` sets
 * `transaction` to Kysely's `Transaction`, so `ctx.tx` is typed in `transactional` steps.
 */
export interface DurableTypes {}

/**
 * The store's transaction handed to `transactional` steps as `ctx.tx`: what a store package sets
 * in {@link DurableTypes}, or `unknown` when no store's types are part of the compilation. To
 * depend on no such accident, name it: `defineWorkflow<Input, PostgresTransaction>(name)`.
 */
export type StoreTransaction = DurableTypes extends { transaction: infer T } ? T : unknown

/**
 * What a step handler receives. `Input` is the workflow's input type as passed to `start`;
 * `ctx.input` is that value as stored, JSON ({@link Jsonify}: a `Date` arrives as an ISO string).
 * `Results` are the earlier steps' results, already as stored. `Tx` is the type of `ctx.tx`.
 */
export interface StepContext<Input = unknown, Results = Record<string, unknown>, Tx = StoreTransaction> {
  readonly input: Jsonify<Input>
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
  readonly tx?: Tx
}

export type StepHandler<Input, Results, Output, Tx = StoreTransaction> = (ctx: StepContext<Input, Results, Tx>) => Output | Promise<Output>

/** How a failed attempt waits before the next: gets the failed attempt's number (1-based). */
export type Backoff = (failedAttempt: number) => Duration

/** A compensator: a function, or one with its own retry policy. */
export type Compensation<Input, Results, Tx = StoreTransaction> =
  StepHandler<Input, Results, unknown, Tx> | { handler: StepHandler<Input, Results, unknown, Tx>; maxAttempts?: number; backoff?: Backoff }

export interface StepOptions<Input, Results, Tx = StoreTransaction> {
  /** Undoes the step when a later step fails for good (saga). Gets the step's own result in `ctx.results`. */
  compensate?: Compensation<Input, Results, Tx>
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
