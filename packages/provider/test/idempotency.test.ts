import { defineWorkflow } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

let executions = 0
const once = defineWorkflow<{ n: number }>('once').step('count', async () => ++executions)
const other = defineWorkflow<{ n: number }>('other').step('count', async () => 0)

describe.each(backends)('idempotent start on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([once, other])
  })
  afterAll(async () => h.close())

  it('returns the first run for the same key and starts nothing', async () => {
    const before = executions
    const first = await h.durable.start(once, { n: 1 }, { idempotencyKey: 'order-42' })
    const again = await h.durable.start(once, { n: 2 }, { idempotencyKey: 'order-42' })
    expect(again).toBe(first)
    await h.durable.waitFor(first, { timeout: '20s' })
    expect(executions - before).toBe(1)
    expect((await h.durable.find(first)).input).toEqual({ n: 1 })
  })

  it('scopes keys per workflow', async () => {
    const a = await h.durable.start(once, { n: 1 }, { idempotencyKey: 'shared' })
    const b = await h.durable.start(other, { n: 1 }, { idempotencyKey: 'shared' })
    expect(a).not.toBe(b)
  })

  it('lets concurrent starts with one key agree on one run', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => h.durable.start(once, { n: 3 }, { idempotencyKey: 'race' })))
    expect(new Set(ids).size).toBe(1)
  })
})
