import { defineWorkflow, isDurableError } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

const undone: string[] = []
let aborted = 0
const long = defineWorkflow('long')
  .step('reserve', async () => 'r', { compensate: async () => void undone.push('reserve') })
  .step('work', async (ctx) => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000)
      ctx.signal.addEventListener('abort', () => {
        aborted++
        clearTimeout(timer)
        resolve()
      })
    })
    return 'worked'
  })

const sleeper = defineWorkflow('sleeper')
  .step('book', async () => 'b', { compensate: async () => void undone.push('book') })
  .sleep('a-long-time', '7d')

let flakyCalls = 0
let healthy = false
const fragile = defineWorkflow('fragile')
  .step('first', async () => ++flakyCalls && 'first')
  .step(
    'second',
    async (ctx) => {
      if (!healthy) throw new Error(`down at attempt ${ctx.attempt}`)
      return `up at attempt ${ctx.attempt}`
    },
    { maxAttempts: 2, backoff: () => 10 },
  )

describe.each(backends)('cancel and retry on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([long, sleeper, fragile], { leaseMs: 600 })
  })
  afterAll(async () => h.close())

  it('cancels a running step: aborts ctx.signal, compensates, ends cancelled', async () => {
    undone.length = 0
    const abortedBefore = aborted
    const runId = await h.durable.start(long)
    await expect.poll(async () => (await h.durable.journal(runId)).length, { timeout: 10_000 }).toBe(1)
    await h.durable.cancel(runId, { reason: 'customer changed their mind' })
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('cancelled')
    expect(done.error).toEqual({ message: 'run cancelled: customer changed their mind', code: 'RUN_CANCELLED' })
    expect(undone).toEqual(['reserve'])
    expect(aborted - abortedBefore).toBe(1)
    const kinds = (await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}`)
    expect(kinds).toEqual(['step_completed:reserve', 'cancel_requested:$run', 'compensated:reserve'])
  })

  it('cancels a sleeping run at once, without waiting for the timer', async () => {
    undone.length = 0
    const runId = await h.durable.start(sleeper)
    await expect.poll(async () => (await h.durable.find(runId)).status, { timeout: 10_000 }).toBe('waiting')
    await h.durable.cancel(runId)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('cancelled')
    expect(undone).toEqual(['book'])
  })

  it('retries a failed run from its failed step without re-running earlier steps', async () => {
    healthy = false
    const callsBefore = flakyCalls
    const runId = await h.durable.start(fragile)
    const failed = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(failed.status).toBe('failed')
    healthy = true
    await h.durable.retry(runId)
    const done = await h.durable.waitFor(runId, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.results).toEqual({ first: 'first', second: 'up at attempt 3' })
    expect(flakyCalls - callsBefore).toBe(1)
    const kinds = (await h.durable.journal(runId)).map((e) => `${e.kind}:${e.stepKey}:${e.attempt}`)
    expect(kinds).toEqual(['step_completed:first:1', 'step_failed:second:1', 'step_failed:second:2', 'run_retried:second:3', 'step_completed:second:3'])
  })

  it('refuses cancel and signal on finished runs and retry on runs that did not fail', async () => {
    healthy = true
    const runId = await h.durable.start(fragile)
    await h.durable.waitFor(runId, { timeout: '20s' })
    for (const call of [() => h.durable.cancel(runId), () => h.durable.retry(runId), () => h.durable.signal(runId, 'x')]) {
      const error = await call().catch((e: unknown) => e)
      expect(isDurableError(error, 'RUN_NOT_ACTIVE')).toBe(true)
    }
    const missing = await h.durable.cancel('01J00000000000000000000000').catch((e: unknown) => e)
    expect(isDurableError(missing, 'RUN_NOT_FOUND')).toBe(true)
    expect(isDurableError(await h.durable.retry('01J00000000000000000000000').catch((e: unknown) => e), 'RUN_NOT_FOUND')).toBe(true)
  })
})
