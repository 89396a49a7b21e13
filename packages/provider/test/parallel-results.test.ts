import { defineWorkflow } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const seen: unknown[] = []
const flakyTries = new Map<string, number>()

/** A parallel node first, one branch failing its first try: the run parks for the backoff and is claimed again. */
const fanFirst = defineWorkflow('fan-first')
  .parallel('fan', {
    steady: async () => 'steady-ok',
    flaky: {
      handler: async (ctx) => {
        const tries = (flakyTries.get(ctx.runId) ?? 0) + 1
        flakyTries.set(ctx.runId, tries)
        if (tries === 1) throw new Error('flaky first try')
        return 'flaky-ok'
      },
      backoff: () => '150ms',
    },
  })
  .step('after', async (ctx) => {
    seen.push(ctx.results.fan)
    return Object.keys(ctx.results.fan).sort().join('+')
  })

describe.each(backends)('results of a parallel with a retried branch (%s)', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([fanFirst])
  })
  afterAll(async () => {
    await h.close()
  })

  it('hands the next step, waitFor and find the same results as the journal holds', async () => {
    seen.length = 0
    const runId = await h.durable.start(fanFirst)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    const fan = { steady: 'steady-ok', flaky: 'flaky-ok' }
    expect(seen).toEqual([fan])
    expect(done.results).toEqual({ fan, after: 'flaky+steady' })
    expect(done.result).toEqual(done.results)
    expect((await h.durable.find(runId)).results).toEqual(done.results)
    const journal = await h.durable.journal(runId)
    expect(journal.filter((e) => e.kind === 'step_failed').map((e) => e.stepKey)).toEqual(['fan.flaky'])
  })
})
