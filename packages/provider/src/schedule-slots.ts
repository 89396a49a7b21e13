import type { Cron } from 'croner'
import type { CatchUp } from './schedule-definitions.js'

/** What a worker does next about a schedule: start the run of a slot, or skip missed slots. @internal */
export type SlotAction = { readonly type: 'start'; readonly slot: Date } | { readonly type: 'skip'; readonly to: Date }

/**
 * The next thing to do about a schedule whose last handled slot is `lastSlotAt`, at `now` (the
 * database's time); undefined when no slot is due. Pure: the slots come from croner, which reads
 * the cron in its time zone (daylight saving time included).
 *
 * A due slot younger than `lateAfterMs` starts. An older one was missed — no worker ran then —
 * and `catchUp` decides: `'all'` starts it (the others follow, one action each, in order),
 * `'latest'` starts only the latest missed slot (skipping those before it), `'none'` skips every
 * missed slot. Each action moves the schedule on to its slot, so calling this again gives the
 * next one.
 *
 * @internal
 */
export function nextSlotAction(slots: Cron, lastSlotAt: Date, now: Date, catchUp: CatchUp, lateAfterMs: number): SlotAction | undefined {
  const next = slots.nextRun(lastSlotAt)
  if (next === null || next.getTime() > now.getTime()) return undefined
  const missedUpTo = now.getTime() - lateAfterMs
  if (next.getTime() > missedUpTo || catchUp === 'all') return { type: 'start', slot: next }
  // previousRuns is strictly before its reference: one millisecond on includes a slot at the cut.
  const latest = slots.previousRuns(1, new Date(missedUpTo + 1))[0]
  const latestMissed = latest !== undefined && latest.getTime() > next.getTime() ? latest : next
  return catchUp === 'latest' ? { type: 'start', slot: latestMissed } : { type: 'skip', to: latestMissed }
}
