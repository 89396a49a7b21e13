import {
  DurableError,
  initialState,
  isTerminal,
  parseDuration,
  runResults,
  toJsonText,
  transition,
  type ChildDefinition,
  type RouteDefinition,
  type RunEvent,
  type RunFlow,
  runFlow,
  type RunRecord,
  type SignalWaitDefinition,
  type SleepDefinition,
  type StepError,
} from '@durable/core'
import { ulid } from 'ulid'
import type { Action } from './actions.js'
import type { Drive } from './drive.js'
import type { RunDriver } from './run-driver.js'
import { stepErrorOf } from './step-runner.js'

/*
 * What a worker does at the nodes that run no handler — sleeps, signal waits, routes, child
 * runs — while it holds the run. Each ends by committing a transition through the driver.
 */

const SIGNAL_ARRIVED = Symbol('signal arrived')
const CHILD_ENDED = Symbol('child ended')

/** Computes and journals a sleep's wake-up time; an invalid computed duration fails the step. */
export async function startTimer(driver: RunDriver, drive: Drive, node: SleepDefinition): Promise<Action | undefined> {
  const now = driver.runtime.clock.now()
  const at = now.toISOString()
  let event: RunEvent
  try {
    const value = typeof node.duration === 'function' ? node.duration(driver.context(drive, node, 1)) : node.duration
    const until = value instanceof Date ? value : new Date(now.getTime() + parseDuration(value, `duration of sleep "${node.name}"`))
    if (Number.isNaN(until.getTime())) throw new DurableError('INVALID_DEFINITION', `sleep "${node.name}" computed an invalid date`)
    event = { type: 'timerStarted', stepKey: node.key, until: until.toISOString(), at }
  } catch (error) {
    event = { type: 'stepFailed', stepKey: node.key, attempt: drive.state.attempt, error: { ...stepErrorOf(error), retryable: false }, at }
  }
  return driver.commit(drive, transition(drive.workflow, drive.state, event), undefined, undefined, now)
}

/**
 * Takes a buffered signal, or fails the wait on timeout, or parks the run. Parking commits
 * only if no signal arrived meanwhile: `signal()` inserts under the run's row lock, which the
 * park's fenced UPDATE holds while it looks once more.
 */
export async function awaitSignal(driver: RunDriver, drive: Drive, node: SignalWaitDefinition, timeoutAt: string | null): Promise<Action | undefined> {
  const { store, queue, clock } = driver.runtime
  const now = clock.now()
  const at = now.toISOString()
  const runId = drive.run.id
  const signal = await store.takeSignal(runId, node.name)
  if (signal !== undefined) {
    const next = transition(drive.workflow, drive.state, { type: 'signalReceived', stepKey: node.key, payload: signal.payload, at })
    return store.transaction(async (tx) => {
      if (!(await store.consumeSignal(signal.id, now, tx))) throw new DurableError('LEASE_LOST', `signal ${signal.id} of run "${runId}" was consumed by another worker`)
      return driver.commit(drive, next, JSON.stringify(signal.payload), tx, now)
    })
  }
  if (timeoutAt !== null && Date.parse(timeoutAt) <= now.getTime()) {
    return driver.commit(drive, transition(drive.workflow, drive.state, { type: 'signalTimedOut', stepKey: node.key, at }), undefined, undefined, now)
  }
  const due = driver.dueWhenParked(drive, timeoutAt === null ? null : new Date(timeoutAt))
  const wake = due === null ? undefined : { runId, runAt: due }
  const parked = await store
    .transaction(async (tx) => {
      const update = { runId, owner: driver.owner, state: drive.state, dueAt: wake?.runAt ?? null, leaseUntil: null, now }
      if (!(await store.updateRun(update, tx))) return 'lost' as const
      if ((await store.takeSignal(runId, node.name, tx)) !== undefined) throw SIGNAL_ARRIVED
      if (wake !== undefined && queue.transactional) await queue.dispatch(wake, { transaction: tx })
      return 'parked' as const
    })
    .catch((error: unknown) => {
      if (error === SIGNAL_ARRIVED) return 'retry' as const
      throw error
    })
  if (parked === 'retry') return { type: 'awaitSignal', stepKey: node.key, stepName: node.name, timeoutAt }
  if (parked === 'lost') return (driver.lost(drive), undefined)
  drive.leased = false
  if (wake !== undefined && !queue.transactional) await queue.dispatch(wake)
  return undefined
}

/** Evaluates the route's `select(ctx)`; core journals the key, or fails on an unknown one. */
export async function selectRoute(driver: RunDriver, drive: Drive, node: RouteDefinition): Promise<Action | undefined> {
  const now = driver.runtime.clock.now()
  const at = now.toISOString()
  let event: RunEvent
  try {
    event = { type: 'routeSelected', stepKey: node.key, key: String(node.select(driver.context(drive, node, drive.state.attempt))), at }
  } catch (error) {
    event = { type: 'stepFailed', stepKey: node.key, attempt: drive.state.attempt, error: { ...stepErrorOf(error), retryable: false }, at }
  }
  return driver.commit(drive, transition(drive.workflow, drive.state, event), undefined, undefined, now)
}

/**
 * Creates the child run in the transaction that journals `child_started`, so a crash leaves
 * either both or neither. The idempotency key names parent, step and attempt: a retried step
 * starts a new child, a replayed one never a second.
 */
export async function startChild(driver: RunDriver, drive: Drive, node: ChildDefinition): Promise<Action | undefined> {
  const { store, queue, clock, maxPayloadBytes } = driver.runtime
  const now = clock.now()
  const at = now.toISOString()
  const parentRunId = drive.run.id
  let inputJson: string
  try {
    inputJson = toJsonText(node.input(driver.context(drive, node, drive.state.attempt)), `input of child "${node.name}" of run "${parentRunId}"`, maxPayloadBytes)
  } catch (error) {
    const event: RunEvent = { type: 'stepFailed', stepKey: node.key, attempt: drive.state.attempt, error: { ...stepErrorOf(error), retryable: false }, at }
    return driver.commit(drive, transition(drive.workflow, drive.state, event), undefined, undefined, now)
  }
  const childRunId = ulid()
  let next: Action | undefined
  const { registry } = driver.runtime
  // The version the builder was given, else the current one; a workflow this process does not
  // know is recorded by name and version alone, for a worker that knows it.
  const definition = node.workflowVersion !== undefined ? registry.version(node.workflowName, node.workflowVersion) : registry.versionsOf(node.workflowName).at(-1)
  let flow: RunFlow
  try {
    flow = runFlow(definition?.workflow.flowControl, node.workflowName, JSON.parse(inputJson))
  } catch (error) {
    const event: RunEvent = { type: 'stepFailed', stepKey: node.key, attempt: drive.state.attempt, error: { ...stepErrorOf(error), retryable: false }, at }
    return driver.commit(drive, transition(drive.workflow, drive.state, event), undefined, undefined, now)
  }
  const fields = definition !== undefined ? registry.runFields(definition) : { workflowName: node.workflowName, workflowVersion: node.workflowVersion ?? null, shapeHash: null }
  const { runId, created } = await store.createRun(
    {
      id: childRunId,
      ...fields,
      inputJson,
      state: initialState(definition?.workflow),
      idempotencyKey: `child:${parentRunId}:${node.key}:${drive.state.attempt}`,
      parentRunId,
      now,
      flow,
    },
    async (tx) => {
      const started = transition(drive.workflow, drive.state, { type: 'childStarted', stepKey: node.key, childRunId, at })
      next = await driver.commit(drive, started, undefined, tx, now)
      if (drive.signal.aborted) throw drive.signal.reason
      if (queue.transactional) await queue.dispatch({ runId: childRunId }, { transaction: tx })
    },
  )
  if (fields.shapeHash !== null) registry.shapeStored(fields.shapeHash)
  if (!created) {
    // Only a second start of the same attempt gets here (the first one's journal entry was lost
    // with its transaction, so the child was not created either: never in practice).
    driver.runtime.logger.warn({ runId: parentRunId, childRunId: runId }, `child "${node.name}" of run "${parentRunId}" existed already`)
    return undefined
  }
  if (!queue.transactional) await queue.dispatch({ runId: childRunId })
  return next
}

/** Takes the child's outcome if it ended; else parks until the child's end makes this run due. */
export async function awaitChild(driver: RunDriver, drive: Drive, node: ChildDefinition, childRunId: string): Promise<Action | undefined> {
  const { store, queue, clock } = driver.runtime
  const now = clock.now()
  const child = await store.getRun(childRunId)
  if (child !== undefined && isTerminal(child.status)) return childEnded(driver, drive, node, child, now)
  // Due when the child ends (it wakes us), or at the run's deadline.
  const due = driver.dueWhenParked(drive, null)
  const wake = due === null ? undefined : { runId: drive.run.id, runAt: due }
  const parked = await store
    .transaction(async (tx) => {
      const update = { runId: drive.run.id, owner: driver.owner, state: drive.state, dueAt: due, leaseUntil: null, now }
      if (!(await store.updateRun(update, tx))) return 'lost' as const
      // The child commits its end before it wakes us, and the wake waits for our row lock.
      const again = await store.getRun(childRunId, tx)
      if (again !== undefined && isTerminal(again.status)) throw CHILD_ENDED
      if (wake !== undefined && queue.transactional) await queue.dispatch(wake, { transaction: tx })
      return 'parked' as const
    })
    .catch((error: unknown) => {
      if (error === CHILD_ENDED) return 'retry' as const
      throw error
    })
  if (parked === 'retry') return { type: 'awaitChild', stepKey: node.key, stepName: node.name, childRunId }
  if (parked === 'lost') return (driver.lost(drive), undefined)
  drive.leased = false
  if (wake !== undefined && !queue.transactional) await queue.dispatch(wake)
  return undefined
}

async function childEnded(driver: RunDriver, drive: Drive, node: ChildDefinition, child: RunRecord, now: Date): Promise<Action | undefined> {
  const at = now.toISOString()
  let event: RunEvent
  if (child.status === 'completed') {
    event = { type: 'childCompleted', stepKey: node.key, result: runResults(await driver.runtime.store.loadResults(child.id)), at }
  } else {
    const cause = child.error?.message ?? child.status
    const error: StepError = {
      name: 'DurableError',
      message: `child run "${child.id}" (${child.workflowName}) ${child.status}: ${cause}`,
      code: child.error?.code ?? (child.status === 'cancelled' ? 'RUN_CANCELLED' : 'NON_RETRYABLE'),
      retryable: false,
    }
    event = { type: 'childFailed', stepKey: node.key, error, at }
  }
  return driver.commit(drive, transition(drive.workflow, drive.state, event), undefined, undefined, now)
}
