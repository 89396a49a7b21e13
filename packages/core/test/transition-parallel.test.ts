import { describe, expect, it } from 'vitest'
import { defineWorkflow, replay, transition, type Command, type JournaledRecord, type JournalRecord, type RunEvent, type RunState, type Transition, timerOf } from '@durable/core'
import { at, boom, noop, running } from './transition-fixtures.js'

// reserve (undo) → notify { email (undo), sms (undo, 2 tries 1 s apart), push (1 try) } → ship
const fanOut = defineWorkflow('fan-out')
  .step('reserve', noop, { compensate: noop })
  .parallel('notify', {
    email: { handler: noop, compensate: noop },
    sms: { handler: noop, maxAttempts: 2, backoff: () => '1s', compensate: noop },
    push: { handler: noop, maxAttempts: 1 },
  })
  .step('ship', noop, { maxAttempts: 1 })

const fatal = { ...boom, retryable: false }

/** The branches in the run's parallel cursor. */
const branchesOf = (state: RunState) => (state.cursor?.kind === 'parallel' ? state.cursor.branches! : {})

/** Applies events in order, keeping every journal entry (with its event's time). */
function play(state: RunState, events: RunEvent[]): { state: RunState; last: Transition; journal: JournaledRecord[] } {
  const journal: JournaledRecord[] = []
  let last: Transition = { state, commands: [] }
  for (const event of events) {
    last = transition(fanOut, last.state, event)
    for (const c of last.commands) if (c.type === 'appendJournal') journal.push({ ...c.entry, createdAt: event.at })
  }
  return { state: last.state, last, journal }
}

const tries = (commands: readonly Command[]) =>
  commands
    .filter((c) => c.type === 'runStep' || c.type === 'runCompensation')
    .map((c) => `${c.type === 'runStep' ? 'run' : 'undo'} ${(c as { stepKey: string }).stepKey}#${(c as { attempt: number }).attempt}`)
const done = (branch: string, t: number, attempt = 1): RunEvent => ({ type: 'stepCompleted', stepKey: `notify.${branch}`, attempt, result: branch, at: at(t) })
const failed = (branch: string, t: number, attempt = 1, error = boom): RunEvent => ({ type: 'stepFailed', stepKey: `notify.${branch}`, attempt, error, at: at(t) })
const undone = (key: string, t: number, attempt = 1): RunEvent => ({ type: 'compensationCompleted', stepKey: key, attempt, at: at(t) })
const reserved: RunEvent = { type: 'stepCompleted', stepKey: 'reserve', attempt: 1, result: 'r', at: at(1) }

describe('parallel', () => {
  it('starts every branch at once, journals each on its own and joins when all are journaled', () => {
    const start = play(running(), [reserved])
    expect(tries(start.last.commands)).toEqual(['run notify.email#1', 'run notify.sms#1', 'run notify.push#1'])
    const two = play(start.state, [done('sms', 2), done('email', 3)])
    expect(tries(two.last.commands)).toEqual([])
    expect(two.state.step).toBe('notify')
    const joined = play(two.state, [done('push', 4)])
    expect(tries(joined.last.commands)).toEqual(['run ship#1'])
    expect(joined.state.cursor).toBeUndefined()
    expect([...two.journal, ...joined.journal].map((e) => `${e.stepName}/${e.stepKey}`)).toEqual(['notify/notify.sms', 'notify/notify.email', 'notify/notify.push'])
  })

  it('retries a branch by its own policy; its backoff parks the run once nothing else runs', () => {
    const { state, last } = play(running(), [reserved, failed('sms', 2)])
    expect(tries(last.commands)).toEqual([])
    expect(branchesOf(state).sms).toEqual({ attempt: 2, notBefore: at(3) })
    const parked = play(state, [done('email', 2.1), done('push', 2.2)])
    expect(parked.last.commands).toContainEqual({ type: 'scheduleWake', at: at(3) })
    // The backoff is the branch's own: the run holds no timer of its own.
    expect(branchesOf(parked.state).sms).toEqual({ attempt: 2, notBefore: at(3) })
    expect(timerOf(parked.state)).toBeNull()
    const early = transition(fanOut, parked.state, { type: 'woken', at: at(2.5) })
    expect(early.commands).toEqual([{ type: 'scheduleWake', at: at(3) }])
    const woke = transition(fanOut, parked.state, { type: 'woken', at: at(3) })
    expect(tries(woke.commands)).toEqual(['run notify.sms#2'])
    expect(play(woke.state, [done('sms', 4, 2)]).state.step).toBe('ship')
  })

  it('a branch that fails for good lets the others finish, starts none, then compensates completed branches and earlier steps', () => {
    const { state, last } = play(running(), [reserved, done('email', 2), failed('sms', 3), failed('push', 4, 1, fatal)])
    // sms was waiting out its backoff: it never starts again; nothing is in flight, so the rollback begins.
    expect(branchesOf(state).sms).toEqual({ attempt: 2, outcome: 'stopped' })
    expect(state.error).toEqual({ message: 'boom', step: 'notify.push' })
    expect(tries(last.commands)).toEqual(['undo notify.email#1'])
    const rolled = play(state, [undone('notify.email', 5), undone('reserve', 6)])
    expect(rolled.state.status).toBe('failed')
    expect(rolled.journal.map((e) => `${e.kind} ${e.stepKey}`)).toEqual(['compensated notify.email', 'compensated reserve'])
  })

  it('waits for a branch still in flight before rolling back, and compensates it too when it completes', () => {
    const { state, last } = play(running(), [reserved, failed('push', 2, 1, fatal)])
    expect(state.status).toBe('running')
    expect(tries(last.commands)).toEqual([])
    const drained = play(state, [done('email', 3), failed('sms', 4)])
    // sms failed while draining: no retry, and now the rollback starts with email.
    expect(tries(drained.last.commands)).toEqual(['undo notify.email#1'])
    expect(branchesOf(drained.state).sms!.outcome).toBe('failed')
  })

  it('compensates every branch of a finished parallel node in reverse when a later step fails', () => {
    const joined = play(running(), [reserved, done('email', 2), done('sms', 3), done('push', 4)]).state
    const { last, state } = play(joined, [{ type: 'stepFailed', stepKey: 'ship', attempt: 1, error: boom, at: at(5) }])
    expect(tries(last.commands)).toEqual(['undo notify.sms#1'])
    const rest = play(state, [undone('notify.sms', 6), undone('notify.email', 7), undone('reserve', 8)])
    expect(rest.journal.map((e) => e.stepKey)).toEqual(['notify.sms', 'notify.email', 'reserve'])
    expect(rest.state.status).toBe('failed')
  })

  it('a crash fails each try in flight (LEASE_EXPIRED) and starts them again by their policies', () => {
    const { state } = play(running(), [reserved, done('email', 2)])
    const after = transition(fanOut, state, { type: 'leaseExpired', at: at(10) })
    const failures = after.commands.filter((c) => c.type === 'appendJournal').map((c) => (c as { entry: JournalRecord }).entry)
    expect(failures.map((e) => `${e.kind} ${e.stepKey} ${e.error?.code}`)).toEqual(['step_failed notify.sms LEASE_EXPIRED', 'step_failed notify.push LEASE_EXPIRED'])
    // push had one try: it failed for good; sms waits for its backoff, so it is stopped; email is compensated.
    expect(tries(after.commands)).toEqual(['undo notify.email#1'])
    expect(after.state.error?.step).toBe('notify.push')
  })

  it('cancel compensates the branches completed so far and ignores the rest', () => {
    const { state } = play(running(), [reserved, done('sms', 2)])
    const cancelled = play(state, [{ type: 'cancelRequested', at: at(3) }])
    expect(tries(cancelled.last.commands)).toEqual(['undo notify.sms#1'])
    const end = play(cancelled.state, [done('email', 4), undone('notify.sms', 5), undone('reserve', 6)])
    expect(end.state.status).toBe('cancelled')
    expect(end.journal.map((e) => `${e.kind} ${e.stepKey}`)).toEqual(['compensated notify.sms', 'compensated reserve'])
  })

  it('retry runs the failed branches again; completed, compensated ones are neither re-run nor compensated again', () => {
    const failedRun = play(running(), [
      reserved,
      done('email', 2),
      done('sms', 3),
      failed('push', 4, 1, fatal),
      undone('notify.sms', 5),
      undone('notify.email', 6),
      undone('reserve', 7),
    ])
    expect(failedRun.state.status).toBe('failed')
    const retried = transition(fanOut, failedRun.state, { type: 'retryRequested', at: at(8) })
    expect(tries(retried.commands)).toEqual(['run notify.push#2'])
    const later = play(retried.state, [done('push', 9, 2), { type: 'stepFailed', stepKey: 'ship', attempt: 1, error: boom, at: at(10) }])
    // The rollback after the retry finds nothing left to undo: all was compensated once already.
    expect(later.state.status).toBe('failed')
    expect(later.journal.filter((e) => e.kind === 'compensated')).toEqual([])
  })

  it('ignores duplicates, stale attempts and events of unknown branches', () => {
    const { state } = play(running(), [reserved, done('email', 2)])
    for (const event of [done('email', 3), done('sms', 3, 2), done('fax', 3), failed('email', 3)]) {
      expect(transition(fanOut, state, event)).toEqual({ state, commands: [] })
    }
  })

  it('replaying the journal rebuilds the live state', () => {
    const events: RunEvent[] = [reserved, failed('sms', 2), done('email', 2.5), done('push', 2.6), { type: 'woken', at: at(3) }, done('sms', 4, 2)]
    const live = play(running({ status: 'pending' }), [{ type: 'woken', at: at(0) }, ...events])
    expect(replay(fanOut, live.journal)).toEqual(live.state)
  })
})

describe('parallel definitions', () => {
  it('refuses an empty set of branches, a bad branch, a transactional branch and a name taken by a branch key', () => {
    const base = defineWorkflow('p')
    expect(() => base.parallel('n', {})).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
    expect(() => base.parallel('n', { a: 42 as never })).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
    expect(() => base.parallel('n', { a: { handler: noop, transactional: true } as never })).toThrow(/cannot be transactional/)
    expect(() => base.parallel('n', { a: { handler: noop, maxAttempts: 0 } })).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
    expect(() => base.parallel('n', { a: noop }).step('n.a', noop)).toThrow(expect.objectContaining({ code: 'DUPLICATE_STEP' }))
    expect(() => base.step('n.a', noop).parallel('n', { a: noop })).toThrow(expect.objectContaining({ code: 'DUPLICATE_STEP' }))
    expect(() => base.parallel('n', { '': noop })).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
  })

  it('types results[name] as a map of each branch to its result', () => {
    const w = defineWorkflow('typed')
      .parallel('notify', { email: async () => ({ id: 'e1' }), sms: { handler: () => 7 } })
      .step('after', (ctx) => {
        const id: string = ctx.results.notify.email.id
        const n: number = ctx.results.notify.sms
        return `${id}${n}`
      })
    expect(w.steps.map((s) => s.key)).toEqual(['notify', 'after'])
  })
})
