// Slot computation: croner reads the cron in its time zone; nextSlotAction decides what is due.
import { describe, expect, it } from 'vitest'
import { parseCron } from '../src/schedule-definitions.ts'
import { nextSlotAction } from '../src/schedule-slots.ts'

const iso = (dates: Date[]) => dates.map((d) => d.toISOString())

describe('slots in a time zone, through croner', () => {
  it('keeps 03:00 in Paris at 03:00 local across the spring change of time', () => {
    const slots = parseCron('0 3 * * *', 'Europe/Paris')
    expect(iso(slots.nextRuns(3, new Date('2026-03-27T12:00:00Z')))).toEqual(['2026-03-28T02:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z'])
  })

  it('starts a slot that falls in the spring gap at the first time after it, once', () => {
    // 02:30 does not exist in Paris on 29 March 2026: clocks jump from 02:00 to 03:00.
    const slots = parseCron('30 2 * * *', 'Europe/Paris')
    expect(iso(slots.nextRuns(3, new Date('2026-03-27T12:00:00Z')))).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'])
  })

  it('starts a fixed-time slot once when the autumn change repeats its hour', () => {
    // 02:30 happens twice in Paris on 25 October 2026 (CEST, then CET): one slot, the first.
    const slots = parseCron('30 2 * * *', 'Europe/Paris')
    expect(iso(slots.nextRuns(3, new Date('2026-10-23T12:00:00Z')))).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'])
  })

  it('reads UTC and a six-field cron with seconds first', () => {
    expect(iso(parseCron('*/20 * * * * *', 'UTC').nextRuns(4, new Date('2026-01-01T00:00:05.500Z')))).toEqual([
      '2026-01-01T00:00:20.000Z',
      '2026-01-01T00:00:40.000Z',
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:01:20.000Z',
    ])
    expect(iso(parseCron('0 9 * * 1', 'America/New_York').nextRuns(1, new Date('2026-07-01T00:00:00Z')))).toEqual(['2026-07-06T13:00:00.000Z'])
  })
})

describe('nextSlotAction', () => {
  const everyMinute = parseCron('* * * * *', 'UTC')
  const at = (time: string) => new Date(`2030-01-01T${time}Z`)
  const LATE = 10_000

  it('has nothing to do before the next slot, and starts a slot once it is due', () => {
    expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:00:59.999'), 'latest', LATE)).toBeUndefined()
    expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:01:00.000'), 'latest', LATE)).toEqual({ type: 'start', slot: at('00:01:00.000') })
  })

  it('starts a slot younger than the late limit whatever catchUp says', () => {
    for (const catchUp of ['all', 'latest', 'none'] as const) {
      expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:01:09.000'), catchUp, LATE), catchUp).toEqual({ type: 'start', slot: at('00:01:00.000') })
    }
  })

  it("starts every missed slot in turn with 'all'", () => {
    expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:05:30.000'), 'all', LATE)).toEqual({ type: 'start', slot: at('00:01:00.000') })
    expect(nextSlotAction(everyMinute, at('00:01:00.000'), at('00:05:30.000'), 'all', LATE)).toEqual({ type: 'start', slot: at('00:02:00.000') })
  })

  it("starts only the latest missed slot with 'latest', then the on-time ones", () => {
    expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:05:05.000'), 'latest', LATE)).toEqual({ type: 'start', slot: at('00:04:00.000') })
    expect(nextSlotAction(everyMinute, at('00:04:00.000'), at('00:05:05.000'), 'latest', LATE)).toEqual({ type: 'start', slot: at('00:05:00.000') })
  })

  it("skips the missed slots with 'none', up to the latest of them", () => {
    expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:05:30.000'), 'none', LATE)).toEqual({ type: 'skip', to: at('00:05:00.000') })
    expect(nextSlotAction(everyMinute, at('00:05:00.000'), at('00:05:30.000'), 'none', LATE)).toBeUndefined()
  })

  it('counts a slot exactly at the late limit as missed', () => {
    expect(nextSlotAction(everyMinute, at('00:00:00.000'), at('00:01:10.000'), 'none', LATE)).toEqual({ type: 'skip', to: at('00:01:00.000') })
  })
})
