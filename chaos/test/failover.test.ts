/**
 * A PostgreSQL failover (bounded): a primary and a synchronous standby, two worker processes and
 * a starter on a multi-host connection string; the primary SIGKILLed mid-load, the standby
 * promoted. No journaled step lost, no run lost or stuck, no step journaled twice, transactional
 * effects exactly once. The stall is printed, never asserted.
 */
import { describe, expect, it } from 'vitest'
import { runFailover } from '../src/failover.ts'
import { formatReport } from '../src/figures.ts'

describe('a PostgreSQL failover under load', () => {
  it('loses no acknowledged commit, no run, and journals no step twice when the primary dies and the standby is promoted', { timeout: 85_000 }, async () => {
    const report = await runFailover(
      { runs: 150, workers: 2, concurrency: 8, leaseMs: 2000, loadMs: 8000, killAtMs: 3000, promoteAfterMs: 500, drainMs: 40_000 },
      'failover-secret-3e9a',
    )
    console.log(formatReport(report.figures, report.checks))
    // The failover did land mid-load: runs were in flight and steps journaled before it.
    expect(report.inFlight).toBeGreaterThan(0)
    expect(report.journaledBeforeKill).toBeGreaterThan(0)
    expect(report.lostAfterFailover).toBe(0)
    expect(report.checks.filter((check) => !check.ok)).toEqual([])
    expect(report.stallMs).toBeDefined()
  })
})
