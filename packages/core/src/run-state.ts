import type { StepError } from './errors.js'
import type { Json } from './json.js'

/** Where a run is in its life. */
export type RunStatus = 'pending' | 'running' | 'waiting' | 'compensating' | 'completed' | 'failed' | 'cancelled'

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled']

/** True when the run has ended and absorbs every event. */
export function isTerminal(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled'
}

/** Why a run failed: `step` names the step that failed for good. */
export interface RunError {
  readonly message: string
  readonly code?: string
  readonly step?: string
}

/**
 * The small, JSON-serialisable state of a run. Step results are not in it: they live in the
 * journal, so saving the state costs the same at step 1 and at step 1,000. The run's place is
 * a step *name* (`step`), never a position in the plan; what a node holds beyond its attempt
 * is in `cursor`, one shape per node kind — its own timer too (`notBefore`: a backoff, a sleep's
 * end, a signal wait's timeout). The run has no due time of its own: when a worker should next
 * hold it (the store's `RunRecord.dueAt`) is the runtime's to keep, from `scheduleWake`.
 */
export interface RunState {
  readonly status: RunStatus
  /** The node the run is at — the one to run next, or the one being compensated — by name; null past the last. */
  readonly step: string | null
  /** Attempt number of the next try of the current step or compensator (1-based). */
  readonly attempt: number
  /** Tries that reached the journal, over the whole run. */
  readonly attempts: number
  /** The failure that ended (or is rolling back) the run. */
  readonly error: RunError | null
  /** What the current node holds beyond its attempt. */
  readonly cursor?: NodeCursor
  /** The key each route chose, by route name. */
  readonly routes?: Readonly<Record<string, string>>
  /** Attempts of the current step made before a `retry`; the retry policy counts from here. */
  readonly attemptOffset?: number
  /** Where the run failed for good, with that node's cursor (a loop's iteration, a parallel's branches): `retry` resumes there. */
  readonly failedAt?: { readonly step: string; readonly attempt: number; readonly cursor?: NodeCursor }
  /** What was rolled back already and is never compensated again. */
  readonly compensated?: Compensated
}

/**
 * What the node at `RunState.step` holds beyond its attempt, by node kind. `notBefore` is the
 * node's timer, an ISO instant before which its next move must not happen; absent when none runs.
 */
export type NodeCursor =
  /**
   * A node that holds nothing but its timer: a step or a compensator waiting out a backoff (a
   * loop's first iteration too), a sleep until its end, a signal wait until its timeout.
   */
  | { readonly kind: 'timer'; readonly notBefore: string }
  /** The current iteration of a loop (0-based); `notBefore`: a retry's backoff or the delay before the iteration. */
  | { readonly kind: 'loop'; readonly iteration: number; readonly notBefore?: string }
  /** The run a `child` step started. */
  | { readonly kind: 'child'; readonly runId: string }
  /**
   * The branches of a parallel node — absent while rolling back a node that had finished, every
   * branch completed — and the branch whose compensator runs; `notBefore`: that compensator's
   * backoff (a branch's own backoff is the branch's).
   */
  | {
      readonly kind: 'parallel'
      readonly branches?: Readonly<Record<string, BranchState>>
      readonly compensating?: string
      readonly notBefore?: string
    }

/** What a rollback has undone already. */
export interface Compensated {
  /** After a `retry`: the nodes before this one were compensated before it and are not again. */
  readonly before?: string
  /** Journal keys of parallel branches compensated already. */
  readonly branches?: readonly string[]
}

/**
 * One branch of a running parallel node. It is in flight (a try runs or is due now) while it has
 * no outcome and no `notBefore`; with a `notBefore` it waits out a backoff. `stopped`: it was
 * waiting when another branch failed for good, so its next try never started.
 */
export interface BranchState {
  readonly attempt: number
  /** ISO instant before which the branch's next try must not start; absent when it is due. */
  readonly notBefore?: string
  readonly outcome?: 'completed' | 'failed' | 'stopped'
  /** Attempts made before a `retry`; the retry policy counts from here. */
  readonly attemptOffset?: number
}

/** Kinds of journal entries. These names are public API. */
export type JournalKind =
  | 'step_completed'
  | 'step_failed'
  | 'compensated'
  | 'compensation_failed'
  | 'timer_started'
  | 'timer_fired'
  | 'signal_received'
  | 'cancel_requested'
  /** The run's deadline (`start(…, { timeout })`) passed: it rolls back and ends `failed`. */
  | 'run_timed_out'
  | 'run_retried'
  | 'iteration_completed'
  | 'child_started'
  | 'child_completed'
  | 'route_selected'

/** A journal entry as core asks for it to be written; the store adds `seq` and `createdAt`. */
export interface JournalRecord {
  readonly stepKey: string
  readonly stepName: string
  readonly kind: JournalKind
  readonly attempt: number
  readonly result?: Json
  readonly error?: StepError
}

/** Something that happened to a run. Time arrives inside the event, as an ISO string. */
export type RunEvent =
  /**
   * A worker claimed the run: what it found decides the first move — a cancel not applied yet,
   * else its deadline passed (`deadlinePassed`, read on the database's clock at the claim), else a
   * lost try when the previous holder's lease ran out, else a plain wake-up.
   */
  | {
      readonly type: 'claimed'
      readonly at: string
      readonly previousLeaseExpired: boolean
      readonly cancel?: { readonly reason: string | null }
      readonly deadlinePassed?: boolean
    }
  /** A worker holds the run and asks what to do now. */
  | { readonly type: 'woken'; readonly at: string }
  /** The worker that held the run died (its lease expired): its try counts as failed. */
  | { readonly type: 'leaseExpired'; readonly at: string }
  /** `done`: for a loop, what its `until` said of this result (the runtime evaluates it). */
  | { readonly type: 'stepCompleted'; readonly stepKey: string; readonly attempt: number; readonly result: Json; readonly at: string; readonly done?: boolean }
  | { readonly type: 'stepFailed'; readonly stepKey: string; readonly attempt: number; readonly error: StepError; readonly at: string }
  | { readonly type: 'compensationCompleted'; readonly stepKey: string; readonly attempt: number; readonly at: string }
  | { readonly type: 'compensationFailed'; readonly stepKey: string; readonly attempt: number; readonly error: StepError; readonly at: string }
  /** A sleep's wake-up time was computed. */
  | { readonly type: 'timerStarted'; readonly stepKey: string; readonly until: string; readonly at: string }
  | { readonly type: 'signalReceived'; readonly stepKey: string; readonly payload: Json; readonly at: string }
  | { readonly type: 'signalTimedOut'; readonly stepKey: string; readonly at: string }
  | { readonly type: 'cancelRequested'; readonly reason?: string; readonly at: string }
  /** The run's deadline passed while a worker held it: stop, roll back, end `failed` (`RUN_TIMED_OUT`). */
  | { readonly type: 'deadlinePassed'; readonly at: string }
  /** The child run was created (in the transaction that journals this). */
  | { readonly type: 'routeSelected'; readonly stepKey: string; readonly key: string; readonly at: string }
  | { readonly type: 'childStarted'; readonly stepKey: string; readonly childRunId: string; readonly at: string }
  | { readonly type: 'childCompleted'; readonly stepKey: string; readonly result: Json; readonly at: string }
  | { readonly type: 'childFailed'; readonly stepKey: string; readonly error: StepError; readonly at: string }
  /** `retry` of a failed run: resume at the step that failed. */
  | { readonly type: 'retryRequested'; readonly at: string }

/** What the runtime must do next. Commands are data; core carries out none of them. */
export type Command =
  | { readonly type: 'appendJournal'; readonly entry: JournalRecord }
  | { readonly type: 'runStep'; readonly stepKey: string; readonly stepName: string; readonly attempt: number; readonly iteration?: number }
  | { readonly type: 'runCompensation'; readonly stepKey: string; readonly stepName: string; readonly attempt: number }
  /** Compute the sleep's wake-up time (the duration may be a function of the context). */
  | { readonly type: 'startTimer'; readonly stepKey: string; readonly stepName: string }
  /** Take a buffered signal named `stepName`, or park until one comes or `timeoutAt` passes. */
  | { readonly type: 'awaitSignal'; readonly stepKey: string; readonly stepName: string; readonly timeoutAt: string | null }
  /** Evaluate the route's `select(ctx)`. */
  | { readonly type: 'selectRoute'; readonly stepKey: string; readonly stepName: string }
  /** Compute the child's input and start it (with a stable idempotency key). */
  | { readonly type: 'startChild'; readonly stepKey: string; readonly stepName: string; readonly workflowName: string }
  /** Look at the child: take its outcome if it ended, else park until it does. */
  | { readonly type: 'awaitChild'; readonly stepKey: string; readonly stepName: string; readonly childRunId: string }
  /** Park the run (held by no worker) until `at`. */
  | { readonly type: 'scheduleWake'; readonly at: string }
  /**
   * Cancel the child run a `child` step waits for: the run stopped waiting for it (its deadline
   * passed). Comes with the transition's other commands; cancelling an ended child does nothing.
   */
  | { readonly type: 'cancelChild'; readonly stepKey: string; readonly childRunId: string }
  | { readonly type: 'completeRun' }
  | { readonly type: 'failRun'; readonly error: RunError }

/** The result of `transition`. */
export interface Transition {
  readonly state: RunState
  readonly commands: readonly Command[]
}
