import { defineWorkflow, type NodeCursor, type RunState, type StepError } from '@durable/core'

/** Shared inputs of the transition tests: a clock, two workflows and a running state. */
const T0 = Date.parse('2024-05-01T12:00:00.000Z')
/** The ISO instant `seconds` after 2024-05-01T12:00:00Z. */
export const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString()
export const noop = async (): Promise<null> => null
/** The cursor of a node that waits out its timer until `notBefore` (a backoff, a sleep, a signal timeout). */
export const timer = (notBefore: string): NodeCursor => ({ kind: 'timer', notBefore })
export const boom: StepError = { name: 'Error', message: 'boom', retryable: true }

/** A run at step `reserve` (the first of `linear` and `saga`), attempt 1, unless told otherwise. */
export function running(overrides: Partial<RunState> = {}): RunState {
  return { status: 'running', step: 'reserve', attempt: 1, attempts: 0, error: null, ...overrides }
}

/** reserve → charge → ship, default policies, no compensators. */
export const linear = defineWorkflow('linear').step('reserve', noop).step('charge', noop).step('ship', noop)

/** reserve (undo) → notify → charge (undo: 2 tries, 1 s apart) → ship (1 try) → invoice (undo, never reached). */
export const saga = defineWorkflow('saga')
  .step('reserve', noop, { compensate: noop })
  .step('notify', noop)
  .step('charge', noop, { compensate: { handler: noop, maxAttempts: 2, backoff: () => '1s' } })
  .step('ship', noop, { maxAttempts: 1 })
  .step('invoice', noop, { compensate: noop })
