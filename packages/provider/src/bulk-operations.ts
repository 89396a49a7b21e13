import {
  checkPriority,
  describeValue,
  DurableError,
  initialState,
  runFlow,
  isDurableError,
  toJsonText,
  type Duration,
  type NewRun,
  type RunStatus,
  type Workflow,
} from '@durable/core'
import { deadlineOf } from './run-requests.js'
import { ulid } from 'ulid'
import type { RuntimeContext } from './runtime-context.js'

/** One run of `startMany`. */
export interface StartItem {
  readonly input?: unknown
  readonly idempotencyKey?: string
  /** An integer, default 0: among due runs, workers claim higher priorities first. */
  readonly priority?: number
  /** As `start`'s: past it, the run rolls back and fails with `RUN_TIMED_OUT`. */
  readonly timeout?: Duration
}

/** Which runs `cancelMany` and `retryMany` act on. */
export interface RunFilter {
  readonly workflowName?: string
  readonly status?: RunStatus
  readonly createdBefore?: Date
}

/** Most items in one `startMany`. */
const MAX_ITEMS = 100_000
/** Runs read per page while acting on many. */
const PAGE = 500

/**
 * Starts runs of one definition, all in one transaction with their first jobs; ids in the order
 * of `items`. Every item is checked before anything is written: one bad item refuses the call.
 * @internal
 */
export async function startMany(rt: RuntimeContext, workflow: Workflow | string, items: readonly StartItem[], checkKey: (key: unknown) => string | null): Promise<string[]> {
  const { registry, clock, maxPayloadBytes } = rt
  const definition = registry.resolve(workflow)
  if (!Array.isArray(items)) throw new DurableError('INVALID_INPUT', `startMany takes an array of { input?, idempotencyKey?, priority?, timeout? }, got ${describeValue(items)}`)
  if (items.length > MAX_ITEMS) throw new DurableError('INVALID_INPUT', `startMany takes at most ${MAX_ITEMS} items at once, got ${items.length}: split the call`)
  await rt.syncClock()
  const now = clock.now()
  const runs: NewRun[] = items.map((item, i) => {
    if (typeof item !== 'object' || item === null)
      throw new DurableError('INVALID_INPUT', `item ${i} of startMany must be { input?, idempotencyKey?, priority?, timeout? }, got ${describeValue(item)}`)
    const priority = checkPriority(item.priority, `priority of item ${i} of startMany`)
    const inputJson = toJsonText(item.input, `input of item ${i} of startMany("${definition.key.name}")`, maxPayloadBytes)
    const deadlineAt = deadlineOf(item.timeout, now, `timeout of item ${i} of startMany("${definition.key.name}")`) ?? null
    let flow
    try {
      flow = runFlow(definition.workflow.flowControl, definition.key.name, JSON.parse(inputJson), priority)
    } catch (error) {
      throw new DurableError('INVALID_INPUT', `item ${i} of startMany: ${(error as Error).message}`, { cause: error })
    }
    return {
      id: ulid(),
      ...registry.runFields(definition),
      inputJson,
      state: initialState(definition.workflow),
      idempotencyKey: checkKey(item.idempotencyKey),
      parentRunId: null,
      now,
      flow,
      deadlineAt,
    }
  })
  if (runs.length === 0) return []
  return (await createWithJobs(rt, runs)).map((r) => r.runId)
}

/**
 * Inserts runs with their first jobs, in one transaction when the queue allows (else the jobs
 * go after the commit, and the reconciler covers a crash in between); `{ runId, created }` in
 * the order of `runs`. What `startMany` and concurrent `start()` calls (batched) write.
 * @internal
 */
export async function createWithJobs(rt: RuntimeContext, runs: readonly NewRun[]): Promise<Array<{ runId: string; created: boolean }>> {
  const { store, queue, registry } = rt
  const dispatchAll = async (created: readonly string[], transaction?: unknown): Promise<void> => {
    const options = transaction === undefined ? undefined : { transaction }
    const jobs = created.map((runId) => ({ runId }))
    if (queue.dispatchMany !== undefined) await queue.dispatchMany(jobs, options)
    else for (const job of jobs) await queue.dispatch(job, options)
  }
  const results = await store.createRuns(runs, queue.transactional ? (tx, created) => dispatchAll(created, tx) : undefined)
  for (const run of runs) if (run.shapeHash !== null) registry.shapeStored(run.shapeHash)
  if (!queue.transactional) await dispatchAll(results.filter((r) => r.created).map((r) => r.runId))
  return results
}

/**
 * Calls `act` on every run that matches `filter`, page by page, and counts the runs it acted on.
 * A run that changed meanwhile (`RUN_NOT_ACTIVE`, `RUN_NOT_FOUND`) is skipped, not counted.
 * With `dryRun`, acts on none and counts the runs that match.
 * @internal
 */
export async function forEachRun(rt: RuntimeContext, filter: RunFilter, act: (runId: string) => Promise<void>, dryRun = false): Promise<number> {
  checkFilter(filter)
  let count = 0
  let cursor: string | undefined
  do {
    const page = await rt.store.listRuns({ ...filter, limit: PAGE, ...(cursor !== undefined ? { cursor } : {}) })
    if (dryRun) count += page.runs.length
    else
      for (const run of page.runs) {
        try {
          await act(run.id)
          count++
        } catch (error) {
          if (!isDurableError(error, 'RUN_NOT_ACTIVE') && !isDurableError(error, 'RUN_NOT_FOUND')) throw error
        }
      }
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return count
}

function checkFilter(filter: RunFilter): void {
  if (typeof filter !== 'object' || filter === null) throw new DurableError('INVALID_INPUT', 'a run filter is { workflowName?, status?, createdBefore? }')
  if (filter.workflowName !== undefined && typeof filter.workflowName !== 'string') throw new DurableError('INVALID_INPUT', 'workflowName must be a string')
  if (filter.createdBefore !== undefined && !(filter.createdBefore instanceof Date && !Number.isNaN(filter.createdBefore.getTime()))) {
    throw new DurableError('INVALID_INPUT', `createdBefore must be a valid Date, got ${describeValue(filter.createdBefore)}`)
  }
}

/** `dryRun` of `cancelMany` and `retryMany`: absent or a boolean. @internal */
export function checkDryRun(options: unknown, what: string): boolean {
  if (typeof options !== 'object' || options === null) throw new DurableError('INVALID_INPUT', `${what} options must be an object`)
  const { dryRun } = options as { dryRun?: unknown }
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new DurableError('INVALID_INPUT', `${what} dryRun must be a boolean, got ${describeValue(dryRun)}`)
  return dryRun === true
}
