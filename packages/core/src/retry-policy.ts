import { parseDuration } from './duration.js'
import type { StepError } from './errors.js'
import type { Command, JournalRecord, RunState, Transition } from './run-state.js'
import type { RetryPolicy } from './workflow-nodes.js'
import { append } from './journal-record.js'
import { withTimer } from './node-timer.js'

/** What follows a failed try: another (now, or once `notBefore` passed), or none. */
export type NextTry = { kind: 'again'; notBefore: string | null } | { kind: 'exhausted' } | { kind: 'invalidBackoff'; message: string }

/** Whether a failed try is tried again, and when, by the policy and the error. */
export function nextTry(policy: RetryPolicy, failedAttempt: number, error: StepError, at: string): NextTry {
  if (!error.retryable || failedAttempt >= policy.maxAttempts) return { kind: 'exhausted' }
  let delayMs: number
  try {
    delayMs = parseDuration(policy.backoff(failedAttempt), `backoff after attempt ${failedAttempt}`)
  } catch (thrown) {
    return { kind: 'invalidBackoff', message: thrown instanceof Error ? thrown.message : String(thrown) }
  }
  if (delayMs === 0) return { kind: 'again', notBefore: null }
  // `new Date(…).toISOString()` throws past ±8.64e15 ms: a pure transition must not throw.
  const due = new Date(Date.parse(at) + delayMs)
  if (Number.isNaN(due.getTime())) {
    return { kind: 'invalidBackoff', message: `backoff after attempt ${failedAttempt}: ${delayMs} ms after ${at} is not a valid date (past the year 275760?)` }
  }
  return { kind: 'again', notBefore: due.toISOString() }
}

/** The error a try fails with for good when its backoff cannot be computed. */
export function exhaustedBy(retry: NextTry, error: StepError): StepError {
  return retry.kind === 'invalidBackoff' ? { ...error, message: retry.message, code: 'INVALID_DEFINITION' } : error
}

/** Journals the failed try and runs the next one now, or parks until its backoff ends (the node's timer). */
export function scheduleTry(state: RunState, notBefore: string | null, entry: JournalRecord, run: Command): Transition {
  if (notBefore === null) return { state, commands: [append(entry), run] }
  return { state: withTimer(state, notBefore), commands: [append(entry), { type: 'scheduleWake', at: notBefore }] }
}

/** The failure a try counts as when its worker died mid-try (its lease expired). */
export function leaseExpiredError(what: string): StepError {
  return { name: 'DurableError', code: 'LEASE_EXPIRED', message: `the worker running ${what} stopped without finishing it (crash or lost connection)`, retryable: true }
}
