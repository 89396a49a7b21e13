import type { RunState } from './run-state.js'

/*
 * A node's own timer lives in its cursor (`notBefore`), never on the run: the run's wake time is
 * the runtime's, which a signal, a child's end, a cancel or a deadline may bring forward.
 */

/**
 * The instant before which the current node's next move must not happen — a try's or a
 * compensator's backoff, a loop's delay, a sleep's end, a signal wait's timeout — or null.
 *
 * ### Example
 * ```ts
 * timerOf(state) // '2026-01-08T12:00:00.000Z' while a sleep waits
 * ```
 */
export function timerOf(state: RunState): string | null {
  const cursor = state.cursor
  if (cursor === undefined || cursor.kind === 'child') return null
  return cursor.notBefore ?? null
}

/** True while the current node's timer has not passed at `at`. */
export function timerPending(state: RunState, at: string): boolean {
  const timer = timerOf(state)
  return timer !== null && Date.parse(timer) > Date.parse(at)
}

/**
 * `state` with the current node's timer set: on a loop's or a parallel node's cursor; a step, a
 * sleep or a signal wait holds nothing else (a child step never waits on a timer).
 */
export function withTimer(state: RunState, notBefore: string): RunState {
  const cursor = state.cursor
  if (cursor?.kind === 'loop' || cursor?.kind === 'parallel') return { ...state, cursor: { ...cursor, notBefore } }
  return { ...state, cursor: { kind: 'timer', notBefore } }
}

/** `state` without a timer on the current node; the very same state when it has none. */
export function withoutTimer(state: RunState): RunState {
  const cursor = state.cursor
  if (cursor === undefined || cursor.kind === 'child' || cursor.notBefore === undefined) return state
  if (cursor.kind === 'timer') {
    const { cursor: _, ...rest } = state
    return rest
  }
  const { notBefore: __, ...kept } = cursor
  return { ...state, cursor: kept }
}
