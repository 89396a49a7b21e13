import { parseDuration, type Duration } from './duration.js'
import { describeValue } from './describe-value.js'
import { DurableError } from './errors.js'
import type { Backoff, StepHandler } from './step-context.js'
import { defaultBackoff, type RetryPolicy, type StepDefinition } from './workflow-nodes.js'

const MAX_NAME_LENGTH = 200

export function assertName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.trim().length === 0) {
    throw new DurableError('INVALID_DEFINITION', `${what} must be a non-empty string, got ${describeValue(name)}`)
  }
  if (name.length > MAX_NAME_LENGTH) throw new DurableError('INVALID_DEFINITION', `${what} is longer than ${MAX_NAME_LENGTH} characters`)
  if (name.includes('\u0000') || !name.isWellFormed()) {
    throw new DurableError('INVALID_DEFINITION', `${what} contains \\u0000 or a lone surrogate, which Postgres cannot store`)
  }
}

export type BranchOptions = { handler: StepHandler<any, any, unknown, any>; compensate?: unknown; maxAttempts?: unknown; backoff?: unknown; timeout?: unknown }

/** Handler, retry policy, timeout and compensator of a step or a parallel branch, checked. */
export function stepParts(options: BranchOptions, where: string): Omit<StepDefinition, 'kind' | 'name' | 'key' | 'transactional'> {
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout as Duration, `timeout of ${where}`)
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new DurableError('INVALID_DEFINITION', `timeout of ${where} must be more than 0`)
  return { handler: options.handler, retry: retryPolicy(options, where), timeoutMs, compensation: compensation(options.compensate, where) }
}

export function retryPolicy(options: { maxAttempts?: unknown; backoff?: unknown }, where: string): RetryPolicy {
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
  if (typeof value === 'function') return { handler: value as StepHandler<any, any, unknown, any>, retry: retryPolicy({}, `compensation of ${where}`) }
  if (typeof value === 'object' && value !== null && typeof (value as { handler?: unknown }).handler === 'function') {
    const spec = value as { handler: StepHandler<any, any, unknown, any>; maxAttempts?: unknown; backoff?: unknown }
    return { handler: spec.handler, retry: retryPolicy(spec, `compensation of ${where}`) }
  }
  throw new DurableError('INVALID_DEFINITION', `compensate of ${where} must be a function or { handler, maxAttempts?, backoff? }`)
}
