import { describe, expect, it } from 'vitest'
import { defineWorkflow, initialState, replay, transition, type JournaledRecord, type RunEvent, type RunState, type Workflow } from '@durable/core'

const noop = async () => null
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

// a → route outer { x: [x1, route inner { p: [p1], q: [] }], y: [y1] } → z
const nested = defineWorkflow('nested')
  .step('a', noop, { compensate: noop })
  .route('outer', () => 'x', {
    x: (b) => b.step('x1', noop, { compensate: noop }).route('inner', () => 'p', { p: (c) => c.step('p1', noop, { compensate: noop }), q: (c) => c }),
    y: (b) => b.step('y1', noop, { compensate: noop }),
  })
  .step('z', noop)

/** Drives a run: completes every step, answers routes with `choices`, fails the step named `failAt`. */
function drive(workflow: Workflow, choices: Record<string, string>, failAt?: string) {
  let state: RunState = initialState(workflow)
  const journal: JournaledRecord[] = []
  const ran: string[] = []
  let event: RunEvent = { type: 'woken', at: at(0) }
  for (let t = 1; t < 50; t++) {
    const next = transition(workflow, state, event)
    state = next.state
    for (const c of next.commands) if (c.type === 'appendJournal') journal.push({ ...c.entry, createdAt: event.at })
    const action = next.commands.find((c) => c.type !== 'appendJournal')
    if (action === undefined || action.type === 'completeRun' || action.type === 'failRun') break
    if (action.type === 'selectRoute') event = { type: 'routeSelected', stepKey: action.stepKey, key: choices[action.stepName]!, at: at(t) }
    else if (action.type === 'runStep') {
      ran.push(action.stepName)
      event =
        action.stepName === failAt
          ? { type: 'stepFailed', stepKey: action.stepKey, attempt: action.attempt, error: { name: 'Error', message: 'no', retryable: false }, at: at(t) }
          : { type: 'stepCompleted', stepKey: action.stepKey, attempt: action.attempt, result: action.stepName, at: at(t) }
    } else if (action.type === 'runCompensation') {
      ran.push(`undo ${action.stepName}`)
      event = { type: 'compensationCompleted', stepKey: action.stepKey, attempt: action.attempt, at: at(t) }
    } else throw new Error(`unexpected ${action.type}`)
  }
  return { state, journal, ran }
}

describe('routes', () => {
  it('runs the chosen branches, nested ones included, and leaves both routes at their ends', () => {
    const { state, ran } = drive(nested, { outer: 'x', inner: 'p' })
    expect(state.status).toBe('completed')
    expect(ran).toEqual(['a', 'x1', 'p1', 'z'])
    expect(state.routes).toEqual({ outer: 'x', inner: 'p' })
  })

  it('leaves an empty inner branch that ends an outer one straight to the step after both', () => {
    expect(drive(nested, { outer: 'x', inner: 'q' }).ran).toEqual(['a', 'x1', 'z'])
    expect(drive(nested, { outer: 'y' }).ran).toEqual(['a', 'y1', 'z'])
  })

  it('compensates only steps of chosen branches, in reverse', () => {
    const { state, ran } = drive(nested, { outer: 'x', inner: 'p' }, 'z')
    expect(state.status).toBe('failed')
    expect(ran.filter((r) => r.startsWith('undo'))).toEqual(['undo p1', 'undo x1', 'undo a'])
    expect(drive(nested, { outer: 'y' }, 'z').ran.filter((r) => r.startsWith('undo'))).toEqual(['undo y1', 'undo a'])
  })

  it('fails with UNKNOWN_ROUTE on a key without a branch', () => {
    const { state } = drive(nested, { outer: 'nope' })
    expect(state.error).toMatchObject({ code: 'UNKNOWN_ROUTE', step: 'outer' })
  })

  it('is rebuilt from the journal alone', () => {
    for (const [choices, failAt] of [
      [{ outer: 'x', inner: 'p' }, undefined],
      [{ outer: 'x', inner: 'q' }, 'z'],
      [{ outer: 'y' }, 'y1'],
    ] as const) {
      const { state, journal } = drive(nested, choices as Record<string, string>, failAt)
      expect(replay(nested, journal)).toEqual(state)
    }
  })
})
