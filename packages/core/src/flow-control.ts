import { describeValue } from './describe-value.js'
import { parseDuration, type Duration } from './duration.js'
import { DurableError } from './errors.js'

/**
 * The flow-control options of `defineWorkflow`, as given.
 *
 * ### Example
 * ```ts
 * defineWorkflow<{ tenant: string }>('sync', {
 *   concurrency: { limit: 2, key: (input) => input.tenant },
 *   rateLimit: { limit: 100, period: '1m', key: (input) => input.tenant },
 * })
 * ```
 */
export interface FlowControlOptions<Input> {
  /**
   * At most `limit` runs with the same key are held by workers at once, over every worker; a run
   * that sleeps or waits (a signal, a child) holds none. Without `key`, one limit for the workflow.
   */
  readonly concurrency?: { readonly limit: number; readonly key?: (input: Input) => string }
  /** At most `limit` runs with the same key begin per `period`; the others wait, none is dropped. */
  readonly rateLimit?: { readonly limit: number; readonly period: Duration; readonly key?: (input: Input) => string }
}

/** Flow control of a workflow, checked: what the runtime computes each run's keys with. */
export interface FlowControl {
  readonly concurrency?: { readonly limit: number; readonly key: ((input: any) => unknown) | undefined }
  readonly rateLimit?: { readonly limit: number; readonly periodMs: number; readonly key: ((input: any) => unknown) | undefined }
}

/**
 * What the store enforces for one run: its priority, and its concurrency and rate keys with
 * their limits (computed from its input when it starts).
 */
export interface RunFlow {
  /** Higher first among due runs; default 0. */
  readonly priority: number
  readonly concurrency: { readonly key: string; readonly limit: number } | null
  readonly rate: { readonly key: string; readonly limit: number; readonly periodMs: number } | null
}

/** Checks `defineWorkflow`'s flow-control options; bad ones → `INVALID_DEFINITION`. @internal */
export function checkFlowControl(options: FlowControlOptions<unknown>, workflow: string): FlowControl | undefined {
  const { concurrency, rateLimit } = options
  if (concurrency === undefined && rateLimit === undefined) return undefined
  const flow: { concurrency?: FlowControl['concurrency']; rateLimit?: FlowControl['rateLimit'] } = {}
  if (concurrency !== undefined) {
    const where = `concurrency of workflow "${workflow}"`
    if (typeof concurrency !== 'object' || concurrency === null) throw new DurableError('INVALID_DEFINITION', `${where} must be { limit, key? }`)
    flow.concurrency = { limit: checkLimit(concurrency.limit, where), key: checkKey(concurrency.key, where) }
  }
  if (rateLimit !== undefined) {
    const where = `rateLimit of workflow "${workflow}"`
    if (typeof rateLimit !== 'object' || rateLimit === null) throw new DurableError('INVALID_DEFINITION', `${where} must be { limit, period, key? }`)
    const periodMs = parseDuration(rateLimit.period, `period of ${where}`)
    if (periodMs <= 0) throw new DurableError('INVALID_DEFINITION', `period of ${where} must be more than 0`)
    flow.rateLimit = { limit: checkLimit(rateLimit.limit, where), periodMs, key: checkKey(rateLimit.key, where) }
  }
  return flow
}

/**
 * A run's flow keys, computed from its input (as stored: what `JSON.parse` gives). A key
 * function that throws or returns no string refuses the start → `INVALID_INPUT`, naming the
 * workflow. Without a key function, the workflow's name is the key: one limit for all its runs.
 */
export function runFlow(flow: FlowControl | undefined, workflow: string, input: unknown, priority = 0): RunFlow {
  const concurrency =
    flow?.concurrency === undefined ? null : { key: flowKey(flow.concurrency.key, input, `concurrency key of workflow "${workflow}"`), limit: flow.concurrency.limit }
  const rate =
    flow?.rateLimit === undefined
      ? null
      : { key: flowKey(flow.rateLimit.key, input, `rateLimit key of workflow "${workflow}"`), limit: flow.rateLimit.limit, periodMs: flow.rateLimit.periodMs }
  return { priority, concurrency, rate }
}

/** A `start` option `priority`: an integer in PostgreSQL's `integer` range; else `INVALID_INPUT`. */
export function checkPriority(value: unknown, where: string): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2_147_483_647) {
    throw new DurableError('INVALID_INPUT', `${where} must be an integer (higher runs first, default 0), got ${describeValue(value)}`)
  }
  return value
}

function checkLimit(limit: unknown, where: string): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 2_147_483_647) {
    throw new DurableError('INVALID_DEFINITION', `limit of ${where} must be a whole number ≥ 1, got ${describeValue(limit)}`)
  }
  return limit
}

function checkKey(key: unknown, where: string): ((input: any) => unknown) | undefined {
  if (key === undefined) return undefined
  if (typeof key !== 'function') throw new DurableError('INVALID_DEFINITION', `key of ${where} must be a function (input) => string, got ${describeValue(key)}`)
  return key as (input: any) => unknown
}

function flowKey(key: ((input: any) => unknown) | undefined, input: unknown, what: string): string {
  if (key === undefined) return ''
  let value: unknown
  try {
    value = key(input)
  } catch (error) {
    throw new DurableError('INVALID_INPUT', `the ${what} threw: ${error instanceof Error ? error.message : String(error)}; nothing was started`, { cause: error })
  }
  if (typeof value !== 'string') throw new DurableError('INVALID_INPUT', `the ${what} must return a string, got ${describeValue(value)}; nothing was started`)
  if (value.includes('\u0000') || !value.isWellFormed())
    throw new DurableError('INVALID_INPUT', `the ${what} contains \\u0000 or a lone surrogate, which PostgreSQL cannot store; nothing was started`)
  return value
}

/**
 * How long a run held back by its concurrency limit stays out of `findDueRuns`: the run that
 * frees a slot wakes the next in line at once; this is the safety net (a crashed worker's
 * slots, a lost wake-up).
 */
export const FLOW_RECHECK_MS = 2_000
