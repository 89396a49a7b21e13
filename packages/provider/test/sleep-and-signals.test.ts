import { defineWorkflow, isDurableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const napper = defineWorkflow<{ ms: number }>('napper')
  .step('before', async () => Date.now())
  .sleep('nap', (ctx) => ctx.input.ms)
  .step('after', async () => Date.now())

const badNap = defineWorkflow('bad-nap')
  .step('undo-me', async () => 1, { compensate: async () => {} })
  .sleep('nap', () => 'whenever' as never)

const approval = defineWorkflow<{ order: string }>('approval')
  .step('request', async (ctx) => `asked about ${ctx.input.order}`)
  .waitForSignal<'approved', { by: string }>('approved', { timeout: '20s' })
  .step('ship', async (ctx) => `shipped, approved by ${ctx.results.approved.by}`)

let released = 0
const impatient = defineWorkflow('impatient')
  .step('hold', async () => 'held', { compensate: async () => void released++ })
  .waitForSignal('go', { timeout: '300ms' })

describe.each(backends)('sleep and signals on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([napper, badNap, approval, impatient])
  })
  afterAll(async () => h.close())

  it('sleeps durably: the run waits parked, then goes on', async () => {
    const runId = await h.durable.start(napper, { ms: 600 })
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('waiting')
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    const { before, after } = done.results as { before: number; after: number }
    expect(after - before).toBeGreaterThanOrEqual(550)
    const journal = await h.durable.journal(runId)
    expect(journal.map((e) => `${e.kind}:${e.stepKey}`)).toEqual(['step_completed:before', 'timer_started:nap', 'timer_fired:nap', 'step_completed:after'])
    expect(Date.parse((journal[1]!.result as { until: string }).until)).toBeGreaterThan(journal[1]!.createdAt.getTime() + 500)
  })

  it('fails a sleep whose computed duration is invalid, and compensates', async () => {
    const done = await h.durable.waitFor(await h.durable.start(badNap), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'INVALID_DEFINITION', step: 'nap' })
  })

  it('delivers a signal sent while the run waits, as the step result', async () => {
    const runId = await h.durable.start(approval, { order: 'o-1' })
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('waiting')
    await h.durable.signal(runId, 'approved', { by: 'ada' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ request: 'asked about o-1', approved: { by: 'ada' }, ship: 'shipped, approved by ada' })
    const kinds = (await h.durable.journal(runId)).map((e) => e.kind)
    expect(kinds.filter((k) => k === 'signal_received')).toHaveLength(1)
  })

  it('refuses a signal the run waits for nowhere, naming those it waits for, and keeps nothing', async () => {
    const runId = await h.durable.start(approval, { order: 'o-typo' })
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('waiting')
    const refused = await h.durable.signal(runId, 'approve', { by: 'ada' }).catch((e: unknown) => e)
    expect(isDurableError(refused, 'INVALID_INPUT')).toBe(true)
    expect((refused as Error).message).toBe(`run "${runId}" of workflow "approval" waits for no signal "approve": it waits for "approved"`)
    const napping = await h.durable.start(napper, { ms: 60_000 })
    await expect(h.durable.signal(napping, 'approved')).rejects.toThrow('it waits for no signal at all')
    // Nothing was kept: the right signal is the first and only one delivered.
    await h.durable.signal(runId, 'approved', { by: 'bob' })
    expect(await h.durable.waitFor(runId, { timeout: '20s' })).toMatchObject({ status: 'completed', results: { approved: { by: 'bob' } } })
    await h.durable.cancel(napping)
  })

  it('keeps a signal sent before the run waits, and delivers each signal once', async () => {
    const runId = await h.durable.start(approval, { order: 'o-2' })
    await h.durable.signal(runId, 'approved', { by: 'first' })
    await h.durable.signal(runId, 'approved', { by: 'second' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.results.approved).toEqual({ by: 'first' })
  })

  it('fails the wait with SIGNAL_TIMEOUT when no signal comes, compensating earlier steps', async () => {
    const before = released
    const done = await h.durable.waitFor(await h.durable.start(impatient), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'SIGNAL_TIMEOUT', step: 'go' })
    expect(released - before).toBe(1)
  })

  it('refuses signals to finished runs, unknown runs and unserializable payloads', async () => {
    const runId = await h.durable.start(approval, { order: 'o-3' })
    const bad = await h.durable.signal(runId, 'approved', { n: 1n }).catch((e: unknown) => e)
    expect(isDurableError(bad, 'NOT_SERIALIZABLE')).toBe(true)
    await h.durable.signal(runId, 'approved', { by: 'x' })
    await h.durable.waitFor(runId, { timeout: '20s' })
    const late = await h.durable.signal(runId, 'approved', { by: 'late' }).catch((e: unknown) => e)
    expect(isDurableError(late, 'RUN_NOT_ACTIVE')).toBe(true)
    const missing = await h.durable.signal('01J00000000000000000000000', 'approved').catch((e: unknown) => e)
    expect(isDurableError(missing, 'RUN_NOT_FOUND')).toBe(true)
  })
})
