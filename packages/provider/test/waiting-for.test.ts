import { defineWorkflow, isDurableError, type RunStatus } from '@durable/core'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** Sleeps an hour: a run that waits for a timer. */
const napper = defineWorkflow<{ guest: string }>('napper')
  .sleep('nap', '1h')
  .step('wake', async () => 'up')
/** Waits a week at most for `approved`. */
const approval = defineWorkflow<{ orderId: string }>('approval')
  .waitForSignal('approved', { timeout: '7d' })
  .step('ship', async () => 'shipped')
/** Waits for `first`, then for `second`: a `second` sent early is kept until the run gets there. */
const twoSignals = defineWorkflow('two-signals')
  .waitForSignal('first')
  .waitForSignal('second')
  .step('done', async (ctx) => ({ first: ctx.results.first, second: ctx.results.second }))
/** Waits for `go`, forever: the child of `parent`. */
const kid = defineWorkflow('kid')
  .waitForSignal('go')
  .step('play', async () => 'played')
const parent = defineWorkflow('parent')
  .child('kid', kid, () => ({}))
  .step('after', async () => 'after')

const WORKFLOWS = [napper, approval, twoSignals, kid, parent]

describe.each(backends)('what a run waits for, and its pending signals (%s)', (_name, makeHarness) => {
  let h: Harness
  /** A runtime on the same store that has no workflow registered, as the CLI opens it. */
  let reader: Durable
  beforeAll(async () => {
    h = await makeHarness(WORKFLOWS)
    reader = createDurable({ store: h.store, queue: postgresQueue({ store: h.store }), workflows: [], logger: silentLogger })
  })
  // The reader shares the harness's store: closing the harness closes both.
  afterAll(async () => h?.close())

  const statusOf = async (runId: string): Promise<RunStatus> => (await h.durable.find(runId)).status
  const parked = (runId: string) => expect.poll(() => statusOf(runId), { timeout: 10_000 }).toBe('waiting')
  const listed = async (durable: Durable, runId: string) => (await durable.list({ limit: 1000 })).runs.find((run) => run.id === runId)

  it('says a sleeping run waits for its timer, until when, in find() and list(), with or without the definition', async () => {
    const runId = await h.durable.start(napper, { guest: 'ada' })
    await parked(runId)
    const run = await h.durable.find(runId)
    expect(run.waitingFor?.kind).toBe('timer')
    const until = run.waitingFor?.kind === 'timer' ? run.waitingFor.until : undefined
    expect(until).toBeInstanceOf(Date)
    // An hour after the sleep began, which was after the run was created (on the database's clock).
    expect(until!.getTime() - run.createdAt.getTime()).toBeGreaterThanOrEqual(HOUR)
    expect(until!.getTime() - run.createdAt.getTime()).toBeLessThan(HOUR + 60_000)
    expect((await listed(h.durable, runId))?.waitingFor).toEqual(run.waitingFor)
    expect((await reader.find(runId)).waitingFor).toEqual(run.waitingFor)
    expect((await listed(reader, runId))?.waitingFor).toEqual(run.waitingFor)
  })

  it('names the signal and its timeout — known by the recorded shape where the definition is not', async () => {
    const runId = await h.durable.start(approval, { orderId: 'o-1' })
    await parked(runId)
    const run = await h.durable.find(runId)
    expect(run.waitingFor).toMatchObject({ kind: 'signal', name: 'approved' })
    const until = run.waitingFor?.kind === 'signal' ? run.waitingFor.until : null
    expect(until!.getTime() - run.createdAt.getTime()).toBeGreaterThanOrEqual(7 * DAY)
    expect(until!.getTime() - run.createdAt.getTime()).toBeLessThan(7 * DAY + 60_000)
    expect((await reader.find(runId)).waitingFor).toEqual(run.waitingFor)
    expect((await listed(reader, runId))?.waitingFor).toEqual(run.waitingFor)

    await h.durable.signal(runId, 'approved', { by: 'ada' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done).toMatchObject({ status: 'completed', waitingFor: null })
    expect((await h.durable.find(runId)).waitingFor).toBeNull()
    expect((await listed(h.durable, runId))?.waitingFor).toBeNull()
  })

  it('names the child run a parent waits for', async () => {
    const runId = await h.durable.start(parent)
    await parked(runId)
    const childId = (await h.durable.list({ workflowName: 'kid', limit: 1000 })).runs.find((run) => run.parentRunId === runId)?.id
    expect(childId).toBeDefined()
    expect((await h.durable.find(runId)).waitingFor).toEqual({ kind: 'child', runId: childId })
    expect((await reader.find(runId)).waitingFor).toEqual({ kind: 'child', runId: childId })
    await parked(childId!)
    expect((await reader.find(childId!)).waitingFor).toEqual({ kind: 'signal', name: 'go', until: null })
    await h.durable.signal(childId!, 'go')
    expect(await h.durable.waitFor(runId, { timeout: '20s' })).toMatchObject({ status: 'completed', waitingFor: null })
  })

  it('lists the signals a run has not taken yet, oldest first, until it takes them', async () => {
    const runId = await h.durable.start(twoSignals)
    await parked(runId)
    expect(await h.durable.pendingSignals(runId)).toEqual([])
    await h.durable.signal(runId, 'second', { n: 2 })
    await h.durable.signal(runId, 'second', 'again')
    // Still at `first`: the early signals wait.
    await parked(runId)
    expect((await h.durable.find(runId)).waitingFor).toEqual({ kind: 'signal', name: 'first', until: null })
    const pending = await reader.pendingSignals(runId)
    expect(pending.map(({ name, payload }) => ({ name, payload }))).toEqual([
      { name: 'second', payload: { n: 2 } },
      { name: 'second', payload: 'again' },
    ])
    for (const signal of pending) expect(signal.sentAt.getTime()).toBeGreaterThanOrEqual((await h.durable.find(runId)).createdAt.getTime())

    await h.durable.signal(runId, 'first', 1)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.result).toMatchObject({ done: { first: 1, second: { n: 2 } } })
    // The one the run took is gone; the extra one stays, never taken.
    expect((await h.durable.pendingSignals(runId)).map((s) => s.payload)).toEqual(['again'])
  })

  it('refuses pendingSignals of an unknown run with RUN_NOT_FOUND', async () => {
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV'
    const error = await h.durable.pendingSignals(missing).catch((e: unknown) => e)
    expect(isDurableError(error, 'RUN_NOT_FOUND')).toBe(true)
    expect((error as Error).message).toContain(missing)
    const bad = await h.durable.pendingSignals('').catch((e: unknown) => e)
    expect(isDurableError(bad, 'INVALID_INPUT')).toBe(true)
  })
})
