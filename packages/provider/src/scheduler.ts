import { initialState, runFlow, toJsonText, type NewRun, type RunFlow, type RunStore, type ScheduleStore } from '@durable/core'
import { ulid } from 'ulid'
import type { RuntimeContext } from './runtime-context.js'
import { LATE_AFTER_MS, type ScheduleDefinition } from './schedule-definitions.js'
import { nextSlotAction } from './schedule-slots.js'

/** Most actions (runs started, slots skipped) of one pass: a long catch-up goes on at the next one, at once. */
const ACTIONS_PER_PASS = 100

/** The store's members that keep schedules. @internal */
export type SchedulingStore = RunStore & ScheduleStore

/** True when the store can keep schedules' state (`ScheduleStore`). @internal */
export function canSchedule(store: RunStore): store is SchedulingStore {
  return typeof store.saveSchedules === 'function' && typeof store.listSchedules === 'function' && typeof store.advanceSchedule === 'function'
}

/** Where a scheduler reports its passes failing and working again (the worker logs it once per outage). @internal */
export interface SchedulerReport {
  failed(task: string, error: unknown): void
  recovered(task: string): void
}

/** The slot was moved on by another worker meanwhile: roll the run back. */
class ScheduleMoved extends Error {}

/**
 * A worker's part in `schedules`: it starts the runs of due slots. Every worker does it; they
 * agree through the store. A slot's run is created in one transaction with the compare-and-set
 * that moves the schedule's `lastSlotAt` on to that slot, so of workers that read the same slot
 * only one creates its run; the run's idempotency key (`schedule:<name>:<slot>`) would refuse a
 * second one anyway. Times are the runtime's clock — the database's — never this process's.
 *
 * It looks again at the next slot of any schedule (on the clock it follows), and at least every
 * `intervalMs`; it reads the store only when, by what it last read, a slot is due.
 *
 * @internal
 */
export class Scheduler {
  readonly #rt: RuntimeContext
  readonly #store: SchedulingStore
  readonly #intervalMs: number
  readonly #report: SchedulerReport
  /** Each schedule's last handled slot, as last read or written here. */
  readonly #lastSlots = new Map<string, Date>()
  #saved = false
  #timer: NodeJS.Timeout | undefined
  #pass: Promise<void> | undefined
  #stopped = false

  constructor(rt: RuntimeContext, store: SchedulingStore, intervalMs: number, report: SchedulerReport) {
    this.#rt = rt
    this.#store = store
    this.#intervalMs = intervalMs
    this.#report = report
  }

  start(): void {
    this.#arm(0)
  }

  /** Stops looking; resolves once a pass in progress has ended. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#pass
  }

  #arm(delayMs: number): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#pass = this.#runPass().finally(() => {
        this.#pass = undefined
      })
    }, delayMs)
    this.#timer.unref()
  }

  async #runPass(): Promise<void> {
    let delay: number
    try {
      const more = await this.#handleDueSlots()
      this.#report.recovered('schedules')
      delay = more ? 0 : this.#delayToNextSlot()
    } catch (error) {
      this.#report.failed('schedules', error)
      delay = this.#intervalMs // the store is down, say: try again later, not at once
    }
    this.#arm(delay)
  }

  /** One pass; true when it stopped at `ACTIONS_PER_PASS` with more to do. */
  async #handleDueSlots(): Promise<boolean> {
    await this.#rt.syncClock()
    const now = this.#rt.clock.now()
    if (!this.#saved) {
      // Once per worker: definitions as this worker sees them (for `durable schedules`); a new
      // schedule is due from now on.
      await this.#store.saveSchedules(
        this.#rt.schedules.map(({ name, workflowName, cron, timezone, catchUp }) => ({ name, workflowName, cron, timezone, catchUp })),
        now,
      )
      this.#saved = true
      this.#lastSlots.clear()
    }
    const due = this.#rt.schedules.filter((s) => this.#isDue(s, now))
    if (due.length === 0) return false
    await this.#reload()
    let actions = 0
    for (const schedule of due) {
      while (actions < ACTIONS_PER_PASS && !this.#stopped) {
        const lastSlotAt = this.#lastSlots.get(schedule.name)
        if (lastSlotAt === undefined) {
          this.#saved = false // its row is gone: save the definitions again at the next pass
          return true
        }
        const action = nextSlotAction(schedule.slots, lastSlotAt, now, schedule.catchUp, LATE_AFTER_MS)
        if (action === undefined) break
        actions++
        const to = action.type === 'start' ? action.slot : action.to
        const moved =
          action.type === 'start' ? await this.#start(schedule, lastSlotAt, action.slot) : await this.#store.advanceSchedule({ name: schedule.name, from: lastSlotAt, to })
        if (moved) this.#lastSlots.set(schedule.name, to)
        else await this.#reload() // another worker moved it on: go on from where it is
      }
    }
    return actions >= ACTIONS_PER_PASS
  }

  /** By what this worker last read: unknown (read it) or a slot due by `now`. */
  #isDue(schedule: ScheduleDefinition, now: Date): boolean {
    const lastSlotAt = this.#lastSlots.get(schedule.name)
    if (lastSlotAt === undefined) return true
    const next = schedule.slots.nextRun(lastSlotAt)
    return next !== null && next.getTime() <= now.getTime()
  }

  async #reload(): Promise<void> {
    this.#lastSlots.clear()
    for (const row of await this.#store.listSchedules()) this.#lastSlots.set(row.name, row.lastSlotAt)
  }

  /**
   * Starts the run of `slot` and moves the schedule on to it, in one transaction; false when
   * another worker moved the schedule on first. A slot whose run exists already (its key is
   * taken) only moves the schedule on. An `input` that throws, or gives what JSON cannot hold,
   * skips the slot, logged as an error: retrying would not change it.
   */
  async #start(schedule: ScheduleDefinition, from: Date, slot: Date): Promise<boolean> {
    const { registry, queue, logger, maxPayloadBytes, clock } = this.#rt
    const { name } = schedule
    const definition = registry.resolve(schedule.workflow)
    let input: unknown
    let inputJson: string
    let flow: RunFlow
    try {
      input = await schedule.input(slot)
      inputJson = toJsonText(input, `input of schedule "${name}" for ${slot.toISOString()}`, maxPayloadBytes)
      // Flow control applies to scheduled runs as to any start: keys from the input as stored.
      flow = runFlow(definition.workflow.flowControl, definition.key.name, JSON.parse(inputJson), 0)
    } catch (error) {
      logger.error(
        { schedule: name, slot: slot.toISOString(), err: error },
        `schedule "${name}" skipped its slot ${slot.toISOString()}: its input(at) failed or was refused; fix it, and the next slot starts`,
      )
      return this.#store.advanceSchedule({ name, from, to: slot })
    }
    const run: NewRun = {
      id: ulid(),
      ...registry.runFields(definition),
      inputJson,
      state: initialState(definition.workflow, input),
      idempotencyKey: `schedule:${name}:${slot.toISOString()}`,
      parentRunId: null,
      now: clock.now(),
      flow,
    }
    let created: { runId: string; created: boolean }
    try {
      created = await this.#store.createRun(run, async (tx) => {
        if (!(await this.#store.advanceSchedule({ name, from, to: slot, runId: run.id }, tx))) throw new ScheduleMoved()
        if (queue.transactional) await queue.dispatch({ runId: run.id }, { transaction: tx })
      })
    } catch (error) {
      if (error instanceof ScheduleMoved) return false
      throw error
    }
    if (!created.created) return this.#store.advanceSchedule({ name, from, to: slot, runId: created.runId })
    if (run.shapeHash !== null) registry.shapeStored(run.shapeHash)
    // Not transactional: a crash right here leaves the run without a job; the reconciler finds it.
    if (!queue.transactional) await queue.dispatch({ runId: run.id })
    logger.info({ schedule: name, slot: slot.toISOString(), runId: run.id }, `schedule "${name}" started run "${run.id}" for ${slot.toISOString()}`)
    return true
  }

  /** Until the earliest next slot by what this worker last read, at most `intervalMs`. */
  #delayToNextSlot(): number {
    const now = this.#rt.clock.now().getTime()
    let delay = this.#intervalMs
    for (const schedule of this.#rt.schedules) {
      const lastSlotAt = this.#lastSlots.get(schedule.name)
      const next = lastSlotAt === undefined ? undefined : schedule.slots.nextRun(lastSlotAt)
      if (next != null) delay = Math.min(delay, next.getTime() - now)
    }
    // The clock this follows is never ahead of the database's: wake on the slot, not before.
    return Math.max(1, Math.ceil(delay))
  }
}
