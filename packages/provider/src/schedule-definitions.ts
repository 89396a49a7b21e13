import { describeValue, DurableError, isDurableError, type Workflow, type WorkflowInput } from '@durable/core'
import { Cron } from 'croner'
import type { WorkflowRegistry } from './workflow-registry.js'

/** Which missed slots a schedule starts once a worker runs again (see {@link Schedule}). */
export type CatchUp = 'latest' | 'all' | 'none'

/**
 * A run to start on a cron schedule, given to `createDurable({ schedules })`. Every worker looks
 * after every schedule; each slot starts exactly one run however many workers run, with the
 * idempotency key `schedule:<name>:<slot as ISO>`.
 *
 * - `cron`: five fields (`minute hour day month weekday`), or six with seconds first.
 * - `timezone`: an IANA zone the cron is read in, daylight saving time included (`'Europe/Paris'`).
 *   Default `'UTC'`, so that workers in different zones agree.
 * - `input(at)`: the run's input for the slot at `at`. Default `{ scheduledAt: at.toISOString() }`.
 * - `catchUp`: slots missed while no worker ran (none started within {@link LATE_AFTER_MS} of
 *   their time) — `'latest'` (default) starts the latest of them once, `'all'` starts each,
 *   in order, `'none'` skips them.
 *
 * ### Example
 * ```ts
 * createDurable({ store, queue, workflows: [report], schedules: [
 *   { name: 'nightly-report', workflow: report, cron: '0 3 * * *', timezone: 'Europe/Paris',
 *     input: (at) => ({ day: at.toISOString().slice(0, 10) }) },
 * ] })
 * ```
 */
export interface Schedule<W extends Workflow = Workflow> {
  /** Unique among the schedules; at most 200 characters. */
  readonly name: string
  /** A registered workflow, or its name (its current version then starts). */
  readonly workflow: W | string
  readonly cron: string
  readonly timezone?: string
  readonly input?: (at: Date) => WorkflowInput<W>
  readonly catchUp?: CatchUp
}

/** A schedule as `durable.schedules()` lists it. */
export interface ScheduleInfo {
  readonly name: string
  readonly workflowName: string
  readonly cron: string
  /** The next slot after now; null when the cron has no slot left. */
  readonly nextAt: Date | null
  /** The run its last started slot made; null before the first. */
  readonly lastRunId: string | null
}

/**
 * A slot that no worker started within this long of its time counts as missed (no worker ran
 * then), and `catchUp` decides about it. Slots younger than this start whatever `catchUp` says:
 * a fleet that restarts within seconds (a deploy) misses nothing.
 */
export const LATE_AFTER_MS = 10_000

/** A checked schedule, with its parsed cron. @internal */
export interface ScheduleDefinition {
  readonly name: string
  /** As given: a workflow or a name (resolved at each start, as `start` does). */
  readonly workflow: Workflow | string
  readonly workflowName: string
  readonly cron: string
  readonly timezone: string
  readonly catchUp: CatchUp
  readonly input: (at: Date) => unknown
  readonly slots: Cron
}

const KEYS: ReadonlySet<string> = new Set(['name', 'workflow', 'cron', 'timezone', 'input', 'catchUp'])
const CATCH_UP: readonly CatchUp[] = ['latest', 'all', 'none']

/** Reads `cron` in `timezone` with croner (five or six fields); throws croner's error when it cannot. @internal */
export function parseCron(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, mode: '5-or-6-parts' })
}

/**
 * Checks `createDurable`'s `schedules`: each needs a unique name, a registered workflow, a cron
 * croner reads, a valid IANA time zone, a known `catchUp`; anything else → `INVALID_DEFINITION`,
 * before anything runs. Undefined → no schedules.
 * @internal
 */
export function parseSchedules(value: unknown, registry: WorkflowRegistry): ScheduleDefinition[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalid(`createDurable option schedules is an array of { name, workflow, cron, … }, got ${describeValue(value)}`)
  const names = new Set<string>()
  return value.map((schedule: unknown, i) => {
    const definition = parseSchedule(schedule, i, registry)
    if (names.has(definition.name)) throw invalid(`two schedules are named "${definition.name}": give each schedule its own name`)
    names.add(definition.name)
    return definition
  })
}

function parseSchedule(value: unknown, index: number, registry: WorkflowRegistry): ScheduleDefinition {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`schedules[${index}] must be { name, workflow, cron, … }, got ${describeValue(value)}`)
  const schedule = value as Partial<Record<keyof Schedule, unknown>>
  const { name } = schedule
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || name.includes('\u0000') || !name.isWellFormed()) {
    throw invalid(`schedules[${index}].name must be a non-empty string of at most 200 characters, got ${describeValue(name)}`)
  }
  const what = `schedule "${name}"`
  const unknown = Object.keys(schedule).filter((key) => !KEYS.has(key))
  if (unknown.length > 0) throw invalid(`${what} has unknown option ${JSON.stringify(unknown[0])}: it takes ${[...KEYS].join(', ')}`)
  const workflowName = registeredName(schedule.workflow, registry, what)
  const { cron, timezone = 'UTC', catchUp = 'latest', input } = schedule
  if (typeof cron !== 'string') throw invalid(`${what}: cron must be a string such as '0 3 * * *', got ${describeValue(cron)}`)
  if (typeof timezone !== 'string' || !isTimeZone(timezone)) {
    throw invalid(`${what}: timezone ${describeValue(timezone)} is not an IANA time zone such as 'Europe/Paris' or 'UTC'`)
  }
  if (!CATCH_UP.includes(catchUp as CatchUp)) throw invalid(`${what}: catchUp must be one of ${CATCH_UP.map((c) => `'${c}'`).join(', ')}, got ${describeValue(catchUp)}`)
  if (input !== undefined && typeof input !== 'function') throw invalid(`${what}: input must be a function (at: Date) => input, got ${describeValue(input)}`)
  let slots: Cron
  try {
    slots = parseCron(cron, timezone)
  } catch (error) {
    throw invalid(`${what}: cron ${JSON.stringify(cron)} is not valid (five fields, or six with seconds first): ${error instanceof Error ? error.message : String(error)}`, error)
  }
  if (slots.nextRun() === null) throw invalid(`${what}: cron ${JSON.stringify(cron)} has no slot from now on`)
  return {
    name,
    workflow: schedule.workflow as Workflow | string,
    workflowName,
    cron,
    timezone,
    catchUp: catchUp as CatchUp,
    input: (input as ((at: Date) => unknown) | undefined) ?? ((at: Date) => ({ scheduledAt: at.toISOString() })),
    slots,
  }
}

/** The name of the schedule's workflow, which must be registered. */
function registeredName(workflow: unknown, registry: WorkflowRegistry, what: string): string {
  if (typeof workflow !== 'string' && (typeof workflow !== 'object' || workflow === null)) {
    throw invalid(`${what}: workflow must be a workflow made with defineWorkflow, or its name, got ${describeValue(workflow)}`)
  }
  try {
    return registry.resolve(workflow as Workflow | string).key.name
  } catch (error) {
    if (!isDurableError(error)) throw error
    throw invalid(`${what} starts a workflow this runtime does not have: ${error.message}`, error)
  }
}

/** True for a time zone this process knows (IANA names, `UTC`). */
function isTimeZone(timezone: string): boolean {
  if (timezone.length === 0) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

function invalid(message: string, cause?: unknown): DurableError {
  return new DurableError('INVALID_DEFINITION', message, cause === undefined ? undefined : { cause })
}
