import { PGlite } from '@electric-sql/pglite'
import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger, type Durable, type DurableWorker, type Logger, type Schedule } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { afterEach, describe, expect, it } from 'vitest'

// Every schedule starts this workflow; the input says which schedule and which slot.
const tick = defineWorkflow<{ schedule: string; at: string }>('tick').step('noop', async (ctx) => ctx.input.at)
const other = defineWorkflow('other').step('noop', async () => 1)
// Flow control applies to scheduled runs too: one at a time per schedule.
const limited = defineWorkflow<{ schedule: string; at: string }>('limited', { concurrency: { limit: 1, key: (input) => input.schedule } }).step('noop', async () => 1)
const input = (name: string) => (at: Date) => ({ schedule: name, at: at.toISOString() })
const everyMinute = (name: string, catchUp?: Schedule['catchUp']): Schedule => ({ name, workflow: tick, cron: '* * * * *', input: input(name), ...(catchUp ? { catchUp } : {}) })

/** A clock the test moves by hand: the runtime reads it instead of the database's. */
class ManualClock {
  #ms: number
  constructor(iso: string) {
    this.#ms = Date.parse(iso)
  }
  now(): Date {
    return new Date(this.#ms)
  }
  set(iso: string): void {
    this.#ms = Date.parse(iso)
  }
}

const opened: Array<{ durable: Durable; pglite: PGlite }> = []
afterEach(async () => {
  for (const { durable, pglite } of opened.splice(0)) {
    await durable.close()
    await pglite.close()
  }
})

async function setup(schedules: Schedule[], clock: ManualClock, logger: Logger = silentLogger): Promise<{ durable: Durable; store: PostgresStore; worker: () => DurableWorker }> {
  const pglite = new PGlite()
  const store = postgresStore({ pglite })
  const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 50 }), workflows: [tick, other, limited], schedules, clock, logger })
  opened.push({ durable, pglite })
  await durable.migrate()
  return { durable, store, worker: () => durable.worker({ reconcileIntervalMs: 20 }) }
}

/** The slots each schedule started a run for, by the runs' inputs, oldest first. */
async function startedSlots(durable: Durable): Promise<Record<string, string[]>> {
  const { runs } = await durable.list({ workflowName: 'tick', limit: 1000 })
  const bySchedule: Record<string, string[]> = {}
  for (const run of [...runs].reverse()) {
    const { schedule, at } = run.input as { schedule: string; at: string }
    ;(bySchedule[schedule] ??= []).push(at)
  }
  return bySchedule
}

describe('schedules', () => {
  it('starts one run per slot with the slot in its idempotency key, and by default { scheduledAt }', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30.000Z')
    const { durable, store, worker } = await setup([{ name: 'plain', workflow: 'tick', cron: '* * * * *' }], clock)
    await worker().start()
    await expect.poll(async () => (await store.listSchedules()).length).toBe(1)
    clock.set('2030-01-01T00:01:00.200Z')
    await expect.poll(async () => (await durable.list({ workflowName: 'tick' })).runs.length).toBe(1)
    const [run] = (await durable.list({ workflowName: 'tick' })).runs
    expect(run!.input).toEqual({ scheduledAt: '2030-01-01T00:01:00.000Z' })
    expect((await store.getRun(run!.id))?.idempotencyKey).toBe('schedule:plain:2030-01-01T00:01:00.000Z')
    expect((await durable.waitFor(run!.id, { timeout: '10s' })).status).toBe('completed')
    // The same slot again, from any process, finds that run.
    expect(await durable.start('tick', {}, { idempotencyKey: 'schedule:plain:2030-01-01T00:01:00.000Z' })).toBe(run!.id)
  })

  it('handles slots missed while no worker ran by catchUp: all, latest (the default) or none', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30.000Z')
    const schedules = [everyMinute('all', 'all'), everyMinute('latest'), everyMinute('none', 'none')]
    const { durable, store, worker } = await setup(schedules, clock)
    const first = worker()
    await first.start()
    await expect.poll(async () => (await store.listSchedules()).length).toBe(3)
    clock.set('2030-01-01T00:01:00.500Z')
    await expect.poll(() => startedSlots(durable)).toEqual({ all: ['2030-01-01T00:01:00.000Z'], latest: ['2030-01-01T00:01:00.000Z'], none: ['2030-01-01T00:01:00.000Z'] })
    await first.stop()

    // No worker for five and a half minutes: the slots 00:02 to 00:06 are missed.
    clock.set('2030-01-01T00:06:30.000Z')
    await worker().start()
    const minutes = (...m: number[]) => m.map((n) => `2030-01-01T00:0${n}:00.000Z`)
    await expect.poll(async () => (await startedSlots(durable)).all?.length).toBe(6)
    await expect.poll(async () => (await startedSlots(durable)).latest?.length).toBe(2)
    await expect.poll(async () => (await store.listSchedules()).map((s) => s.lastSlotAt.toISOString())).toEqual(minutes(6, 6, 6))
    expect(await startedSlots(durable)).toEqual({ all: minutes(1, 2, 3, 4, 5, 6), latest: minutes(1, 6), none: minutes(1) })

    // Workers run again: the next slot starts for each.
    clock.set('2030-01-01T00:07:01.000Z')
    await expect.poll(async () => (await startedSlots(durable)).none?.length).toBe(2)
    await expect.poll(async () => (await startedSlots(durable)).all?.length).toBe(7)
    await expect.poll(async () => (await startedSlots(durable)).latest?.length).toBe(3)
    expect(await startedSlots(durable)).toEqual({ all: minutes(1, 2, 3, 4, 5, 6, 7), latest: minutes(1, 6, 7), none: minutes(1, 7) })
  })

  it('starts each slot once with several workers at once', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30.000Z')
    const problems: string[] = []
    const logger: Logger = {
      ...silentLogger,
      warn: (_fields: unknown, message?: string) => void problems.push(String(message)),
      error: (_fields: unknown, message?: string) => void problems.push(String(message)),
    }
    const { durable, store, worker } = await setup([everyMinute('shared', 'all')], clock, logger)
    await Promise.all([worker().start(), worker().start(), worker().start()])
    await expect.poll(async () => (await store.listSchedules()).length).toBe(1)
    clock.set('2030-01-01T00:04:00.100Z')
    await expect.poll(async () => (await startedSlots(durable)).shared?.length).toBe(4)
    await new Promise((resolve) => setTimeout(resolve, 300)) // let any duplicate show
    expect((await startedSlots(durable)).shared).toEqual(['00:01', '00:02', '00:03', '00:04'].map((m) => `2030-01-01T${m}:00.000Z`))
    // Workers that lost the race to a slot roll back quietly: nothing to warn about.
    expect(problems).toEqual([])
  })

  it('lists the schedules with their next slot and last run; another process sees the stored ones', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30.000Z')
    const paris: Schedule = { name: 'nightly-report', workflow: tick, cron: '0 3 * * *', timezone: 'Europe/Paris', input: input('nightly-report') }
    const { durable, store, worker } = await setup([everyMinute('minutely'), paris], clock)
    expect(await durable.schedules()).toEqual([
      { name: 'minutely', workflowName: 'tick', cron: '* * * * *', nextAt: new Date('2030-01-01T00:01:00.000Z'), lastRunId: null },
      { name: 'nightly-report', workflowName: 'tick', cron: '0 3 * * *', nextAt: new Date('2030-01-01T02:00:00.000Z'), lastRunId: null },
    ])
    await worker().start()
    await expect.poll(async () => (await store.listSchedules()).length).toBe(2)
    clock.set('2030-01-01T00:01:00.100Z')
    await expect.poll(async () => (await durable.list({ workflowName: 'tick' })).runs.length).toBe(1)
    const [run] = (await durable.list({ workflowName: 'tick' })).runs
    await expect
      .poll(async () => (await durable.schedules()).find((s) => s.name === 'minutely'))
      .toEqual({
        name: 'minutely',
        workflowName: 'tick',
        cron: '* * * * *',
        nextAt: new Date('2030-01-01T00:02:00.000Z'),
        lastRunId: run!.id,
      })
    // A runtime without schedules of its own (the CLI's) lists what the workers stored.
    const reader = createDurable({ store, queue: postgresQueue({ store }), workflows: [], clock, logger: silentLogger })
    expect(await reader.schedules()).toEqual(await durable.schedules())
  })

  it('gives a scheduled run the flow-control keys of its workflow, as start does', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30.000Z')
    const { durable, store, worker } = await setup([{ name: 'one-at-a-time', workflow: limited, cron: '* * * * *', input: input('one-at-a-time') }], clock)
    await worker().start()
    await expect.poll(async () => (await store.listSchedules()).length).toBe(1)
    clock.set('2030-01-01T00:01:00.100Z')
    await expect.poll(async () => (await durable.list({ workflowName: 'limited' })).runs.length).toBe(1)
    const [run] = (await durable.list({ workflowName: 'limited' })).runs
    expect((await store.getRun(run!.id))?.flow).toEqual({ priority: 0, concurrency: { key: 'one-at-a-time', limit: 1 }, rate: null })
  })

  it('skips a slot whose input(at) throws, logged as an error, and starts the next one', async () => {
    const clock = new ManualClock('2030-01-01T00:00:30.000Z')
    const errors: string[] = []
    const logger: Logger = { ...silentLogger, error: (_fields: unknown, message?: string) => void errors.push(String(message)) }
    let calls = 0
    const flaky: Schedule = {
      name: 'flaky',
      workflow: tick,
      cron: '* * * * *',
      input: (at) => {
        if (++calls === 1) throw new Error('no report today')
        return { schedule: 'flaky', at: at.toISOString() }
      },
    }
    const { durable, store, worker } = await setup([flaky], clock, logger)
    await worker().start()
    await expect.poll(async () => (await store.listSchedules()).length).toBe(1)
    clock.set('2030-01-01T00:01:00.100Z')
    await expect.poll(() => errors.length).toBe(1)
    expect(errors[0]).toContain('schedule "flaky" skipped its slot 2030-01-01T00:01:00.000Z: its input(at) failed')
    clock.set('2030-01-01T00:02:00.100Z')
    await expect.poll(() => startedSlots(durable)).toEqual({ flaky: ['2030-01-01T00:02:00.000Z'] })
  })
})

describe('schedules: bad definitions', () => {
  const store = postgresStore({ pglite: new PGlite() })
  const queue = postgresQueue({ store })
  const make = (schedules: unknown) => () => createDurable({ store, queue, workflows: [tick], schedules: schedules as Schedule[], logger: silentLogger })
  const good = { name: 's', workflow: tick, cron: '0 3 * * *' }

  it.each([
    ['an invalid cron', [{ ...good, cron: '61 * * * *' }], /schedule "s": cron "61 \* \* \* \*" is not valid/],
    ['a cron of seven fields', [{ ...good, cron: '0 0 3 * * * 2031' }], /is not valid \(five fields, or six with seconds first\)/],
    ['a cron that is not a string', [{ ...good, cron: 5 }], /cron must be a string/],
    ['a cron with no slot', [{ ...good, cron: '0 0 30 2 *' }], /has no slot from now on/],
    ['an unknown time zone', [{ ...good, timezone: 'Mars/Olympus_Mons' }], /timezone "Mars\/Olympus_Mons" is not an IANA time zone/],
    ['an unknown catchUp', [{ ...good, catchUp: 'some' }], /catchUp must be one of 'latest', 'all', 'none', got "some"/],
    ['two schedules of one name', [good, { ...good, cron: '0 4 * * *' }], /two schedules are named "s"/],
    ['a workflow not registered', [{ ...good, workflow: other }], /schedule "s" starts a workflow this runtime does not have/],
    ['a workflow name not registered', [{ ...good, workflow: 'nope' }], /schedule "s" starts a workflow this runtime does not have/],
    ['an unknown option', [{ ...good, catchup: 'all' }], /unknown option "catchup"/],
    ['an input that is not a function', [{ ...good, input: { day: 1 } }], /input must be a function/],
    ['an empty name', [{ ...good, name: '' }], /schedules\[0\]\.name must be a non-empty string/],
    ['schedules that are not an array', { s: good }, /schedules is an array/],
  ])('refuses %s with INVALID_DEFINITION', (_what, schedules, message) => {
    expect(make(schedules)).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION', message: expect.stringMatching(message) }))
  })

  it('refuses schedules on a store that cannot keep them', () => {
    const plain = new Proxy(store, {
      get: (target, key) => (key === 'saveSchedules' || key === 'listSchedules' || key === 'advanceSchedule' ? undefined : Reflect.get(target, key, target)),
    })
    expect(() => createDurable({ store: plain, queue, workflows: [tick], schedules: [good] })).toThrow(
      expect.objectContaining({ code: 'INVALID_DEFINITION', message: expect.stringContaining('needs a store that keeps schedules') }),
    )
  })
})
