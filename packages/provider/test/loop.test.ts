import { defineWorkflow, isDurableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const polls: number[] = []
const label = defineWorkflow<{ readyAt: number }>('label')
  .step('order', async () => 'o-1')
  .loop(
    'poll',
    async (ctx) => {
      polls.push(ctx.iteration!)
      return { iteration: ctx.iteration!, ready: ctx.iteration! >= ctx.input.readyAt }
    },
    { until: (result) => result.ready, maxIterations: 5, delay: '50ms' },
  )
  .step('ship', async (ctx) => `shipped after ${ctx.results.poll.iteration + 1} polls`)

let undone = 0
const hopeless = defineWorkflow('hopeless')
  .step('hold', async () => 'h', { compensate: async () => void undone++ })
  .loop('poll', async () => 'not yet', { until: () => false, maxIterations: 3 })

let flaky = 0
const flakyLoop = defineWorkflow('flaky-loop').loop(
  'poll',
  async (ctx) => {
    flaky++
    if (ctx.iteration === 1 && ctx.attempt === 1) throw new Error('blip')
    return ctx.iteration
  },
  { until: (n) => n === 2, maxIterations: 5, backoff: () => 10 },
)

describe.each(backends)('loops on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([label, hopeless, flakyLoop])
  })
  afterAll(async () => h.close())

  it('repeats until done, journals each iteration, and gives the last result', async () => {
    polls.length = 0
    const runId = await h.durable.start(label, { readyAt: 2 })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results.poll).toEqual({ iteration: 2, ready: true })
    expect(done.results.ship).toBe('shipped after 3 polls')
    expect(polls).toEqual([0, 1, 2])
    const journal = (await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)
    expect(journal).toEqual(['step_completed:order', 'iteration_completed:poll#0', 'iteration_completed:poll#1', 'step_completed:poll#2', 'step_completed:ship'])
  })

  it('fails with LOOP_LIMIT after maxIterations and compensates', async () => {
    const before = undone
    const done = await h.durable.waitFor(await h.durable.start(hopeless), { timeout: '20s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'LOOP_LIMIT', step: 'poll' })
    expect(done.error?.message).toContain('3 iteration')
    expect(undone - before).toBe(1)
  })

  it('retries a failed iteration without repeating the journaled ones', async () => {
    flaky = 0
    const runId = await h.durable.start(flakyLoop)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.results.poll).toBe(2)
    expect(flaky).toBe(4)
    const journal = (await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}:${e.attempt}`)
    expect(journal).toEqual(['iteration_completed:poll#0:1', 'step_failed:poll#1:1', 'iteration_completed:poll#1:2', 'step_completed:poll#2:1'])
  })

  it('refuses bad loop definitions at once', () => {
    const noUntil = () => defineWorkflow('x').loop('p', async () => 1, {} as never)
    const zero = () => defineWorkflow('x').loop('p', async () => 1, { until: () => true, maxIterations: 0 })
    const badDelay = () => defineWorkflow('x').loop('p', async () => 1, { until: () => true, maxIterations: 2, delay: 'soon' as never })
    for (const define of [noUntil, zero, badDelay]) {
      let thrown: unknown
      try {
        define()
      } catch (error) {
        thrown = error
      }
      expect(isDurableError(thrown, 'INVALID_DEFINITION')).toBe(true)
    }
  })
})
