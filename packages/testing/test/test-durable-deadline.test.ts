import { defineWorkflow } from '@durable/core'
import { testDurable, type TestDurable } from '@durable/testing'
import { afterEach, describe, expect, it } from 'vitest'

const START = new Date('2030-01-01T00:00:00Z')
const HOUR = 3_600_000

let kits: TestDurable[] = []
afterEach(async () => {
  await Promise.all(kits.map((t) => t.close()))
  kits = []
})

describe('testDurable deadlines', () => {
  it('times out a sleeping run at its deadline in simulated time, and compensates it', async () => {
    const undone: string[] = []
    const trip = defineWorkflow('trip')
      .step('book', async () => 'b', { compensate: async () => void undone.push('book') })
      .sleep('wait-a-week', '7d')
      .step('fly', async () => 'f')
    const t = testDurable({ workflows: [trip], now: START })
    kits.push(t)
    const id = await t.start(trip, undefined, { timeout: '2h' })
    const run = await t.waitFor(id)
    expect(run).toMatchObject({ status: 'failed', error: { code: 'RUN_TIMED_OUT' } })
    expect(undone).toEqual(['book'])
    // The deadline woke the run, not the end of its sleep.
    expect(t.clock.now().getTime() - START.getTime()).toBe(2 * HOUR)
  })

  it('leaves a run that ends in time as it is', async () => {
    const nap = defineWorkflow('nap')
      .sleep('rest', '1h')
      .step('done', async () => 'd')
    const t = testDurable({ workflows: [nap], now: START })
    kits.push(t)
    const run = await t.waitFor(await t.start(nap, undefined, { timeout: '1d' }))
    expect(run.status).toBe('completed')
    expect(t.clock.now().getTime() - START.getTime()).toBe(HOUR)
  })
})
