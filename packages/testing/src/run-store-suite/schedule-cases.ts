import type { RunStore, ScheduleDefinitionRecord, ScheduleStore } from '@durable/core'
import { describe, expect, it } from 'vitest'
import { at, newRun, type SuiteContext } from './fixtures.js'

const nightly: ScheduleDefinitionRecord = { name: 'nightly', workflowName: 'wf', cron: '0 3 * * *', timezone: 'Europe/Paris', catchUp: 'latest' }
const hourly: ScheduleDefinitionRecord = { name: 'hourly', workflowName: 'wf', cron: '0 * * * *', timezone: 'UTC', catchUp: 'all' }

/** The store's `ScheduleStore` members; fails the case, naming them, when it has none. */
function schedulesOf(store: RunStore): RunStore & ScheduleStore {
  const missing = (['saveSchedules', 'listSchedules', 'advanceSchedule'] as const).filter((member) => typeof store[member] !== 'function')
  if (missing.length > 0) throw new Error(`the store has no ${missing.join(', ')}: implement ScheduleStore, or pass { schedules: false } to testRunStore`)
  return store as RunStore & ScheduleStore
}

/** Cases of `ScheduleStore`: saving definitions, the compare-and-set of the last slot, in a run's transaction. */
export function scheduleCases({ store }: SuiteContext): void {
  describe('schedules', () => {
    it('stores a new schedule due from now on, and keeps its last slot and run when saved again', async () => {
      const s = schedulesOf(store())
      expect(await s.listSchedules(), 'schedules before any was saved').toEqual([])
      await s.saveSchedules([nightly, hourly], at(0))
      expect(await s.listSchedules(), 'schedules saved, by name').toEqual([
        { ...hourly, lastSlotAt: at(0), lastRunId: null },
        { ...nightly, lastSlotAt: at(0), lastRunId: null },
      ])
      expect(await s.advanceSchedule({ name: 'nightly', from: at(0), to: at(1000), runId: 'R1' }), 'advance from the stored slot').toBe(true)
      await s.saveSchedules([{ ...nightly, cron: '0 4 * * *', catchUp: 'all' }], at(5000))
      expect(
        (await s.listSchedules()).find((r) => r.name === 'nightly'),
        'nightly saved again with a new cron',
      ).toEqual({
        ...nightly,
        cron: '0 4 * * *',
        catchUp: 'all',
        lastSlotAt: at(1000),
        lastRunId: 'R1',
      })
    })

    it('moves the last slot on only from the value read: a stale one changes nothing', async () => {
      const s = schedulesOf(store())
      await s.saveSchedules([nightly], at(0))
      expect(await s.advanceSchedule({ name: 'nightly', from: at(1), to: at(2000), runId: 'R1' }), 'advance from a slot that is not stored').toBe(false)
      expect(await s.advanceSchedule({ name: 'other', from: at(0), to: at(2000), runId: 'R1' }), 'advance of a schedule never saved').toBe(false)
      expect(await s.advanceSchedule({ name: 'nightly', from: at(0), to: at(1000), runId: 'R1' }), 'advance from the stored slot').toBe(true)
      expect(await s.advanceSchedule({ name: 'nightly', from: at(0), to: at(2000), runId: 'R2' }), 'the same advance again').toBe(false)
      expect(await s.advanceSchedule({ name: 'nightly', from: at(1000), to: at(3000) }), 'a skip, without a run').toBe(true)
      expect(await s.listSchedules(), 'after a skip, the last run stays').toEqual([{ ...nightly, lastSlotAt: at(3000), lastRunId: 'R1' }])
    })

    it('lets exactly one of simultaneous advances from one slot through', async () => {
      const s = schedulesOf(store())
      await s.saveSchedules([nightly], at(0))
      const tries = await Promise.all(['R1', 'R2', 'R3', 'R4'].map((runId) => s.advanceSchedule({ name: 'nightly', from: at(0), to: at(1000), runId })))
      expect(tries.filter(Boolean).length, 'advances that succeeded').toBe(1)
      const winner = ['R1', 'R2', 'R3', 'R4'][tries.indexOf(true)]
      expect((await s.listSchedules())[0]?.lastRunId, 'the last run: the one whose advance succeeded').toBe(winner)
    })

    it('moves the schedule with the run that createRun commits, and not at all when it rolls back', async () => {
      const s = schedulesOf(store())
      await s.saveSchedules([nightly], at(0))
      const refused = s.createRun(newRun({ idempotencyKey: 'schedule:nightly:1' }), async (tx) => {
        expect(await s.advanceSchedule({ name: 'nightly', from: at(0), to: at(1000), runId: 'R-rolled-back' }, tx), 'advance in the transaction').toBe(true)
        throw new Error('dispatch failed (expected by the test)')
      })
      await expect(refused, 'a createRun whose callback throws').rejects.toThrow('dispatch failed')
      expect((await s.listSchedules())[0]?.lastSlotAt, 'the last slot after the rollback').toEqual(at(0))
      const run = newRun({ idempotencyKey: 'schedule:nightly:1' })
      const created = await s.createRun(run, async (tx) => {
        expect(await s.advanceSchedule({ name: 'nightly', from: at(0), to: at(1000), runId: run.id }, tx), 'advance in the transaction').toBe(true)
      })
      expect(created, 'the run created').toEqual({ runId: run.id, created: true })
      expect(await s.listSchedules(), 'the schedule after the commit').toEqual([{ ...nightly, lastSlotAt: at(1000), lastRunId: run.id }])
    })
  })
}
