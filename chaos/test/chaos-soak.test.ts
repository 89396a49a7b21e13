import { describe, expect, it } from 'vitest'
import { SHORT } from '../src/soak-config.ts'
import { runSoak } from '../src/soak.ts'

describe('chaos soak (bounded: 300 runs, 3 workers, 4 kills, 1 restart, 2 connection drops)', () => {
  it('keeps every guarantee while workers are SIGKILLed, PostgreSQL restarts and connections drop', async () => {
    const report = await runSoak(SHORT)
    console.log(report.text)
    // The faults did happen: a soak that injected nothing proves nothing.
    const count = (kind: string) => report.events.filter((event) => event.kind === kind).length
    expect({ kills: count('kill'), restarts: count('restart'), drops: count('drop') }).toEqual({ kills: SHORT.kills, restarts: SHORT.restarts, drops: SHORT.drops })
    expect(report.checks.filter((check) => !check.ok)).toEqual([])
    expect(report.checks.length).toBeGreaterThanOrEqual(13)
  })
})
