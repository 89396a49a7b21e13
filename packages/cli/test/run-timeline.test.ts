import type { JournalEntry } from '@durable/core'
import type { RunSnapshot } from '@durable/provider'
import { describe, expect, it } from 'vitest'
import { runTimeline } from '../src/dashboard/run-timeline.ts'

const createdAt = new Date('2025-01-01T00:00:00.000Z')
const at = (ms: number) => new Date(createdAt.getTime() + ms)

function run(updatedMs: number): RunSnapshot {
  return {
    id: 'r1',
    workflowName: 'w',
    version: null,
    status: 'completed',
    input: null,
    results: {},
    result: {},
    error: null,
    parentRunId: null,
    attempts: 3,
    waitingFor: null,
    createdAt,
    updatedAt: at(updatedMs),
  }
}

function entry(seq: number, ms: number, kind: JournalEntry['kind'], result?: JournalEntry['result']): JournalEntry {
  return { seq, stepKey: `s${seq}`, stepName: `s${seq}`, kind, attempt: 1, ...(result === undefined ? {} : { result }), createdAt: at(ms) }
}

describe('runTimeline', () => {
  it('times each entry from the one before (the first from the run’s creation) and spans to the last change', () => {
    const { spanMs, rows } = runTimeline(run(900), [entry(1, 100, 'step_completed'), entry(2, 350, 'child_started', { runId: 'child-1' }), entry(3, 800, 'compensated')])
    expect(rows.map((row) => [row.startOffsetMs, row.durationMs, row.childRunId, row.compensation])).toEqual([
      [0, 100, null, false],
      [100, 250, 'child-1', false],
      [350, 450, null, true],
    ])
    expect(spanMs).toBe(900)
  })

  it('keeps a negative gap (clocks of two workers disagree) rather than hiding it', () => {
    const { rows } = runTimeline(run(0), [entry(1, 200, 'step_completed'), entry(2, 150, 'step_completed')])
    expect(rows.map((row) => row.durationMs)).toEqual([200, -50])
  })

  it('has no rows before the first entry', () => {
    expect(runTimeline(run(5), [])).toEqual({ spanMs: 5, rows: [] })
  })
})
