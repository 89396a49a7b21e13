/**
 * A worker drives at most `concurrency` runs at once, whether they came as jobs from the queue
 * or from its own bulk claims of due runs (the two count against one limit).
 */
import { defineWorkflow } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresHarness, type Harness } from './harness.ts'

let running = 0
let most = 0
const slow = defineWorkflow<{ i: number }>('capped').step('work', async () => {
  most = Math.max(most, ++running)
  await new Promise((resolve) => setTimeout(resolve, 60))
  running--
  return 'done'
})

describe('the concurrency of a worker that pulls due runs and consumes jobs', () => {
  let h: Harness
  beforeAll(async () => {
    h = await postgresHarness([slow], { worker: { concurrency: 3, reconcileIntervalMs: 50 } })
  })
  afterAll(async () => h.close())

  it('never drives more than `concurrency` runs at once, and drives them all', async () => {
    // Started where no worker runs: each start sends a job, which the worker's consumer takes
    // while its pulls take the same backlog from the runs table.
    const starter = createDurable({ store: h.store, queue: postgresQueue({ store: h.store }), workflows: [slow], logger: silentLogger })
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => starter.start(slow, { i })))
    for (const id of ids) expect((await h.durable.waitFor(id, { timeout: '60s' })).status).toBe('completed')
    expect(most, 'most runs driven at once').toBeLessThanOrEqual(3)
    expect(most, 'the worker used its slots').toBe(3)
  })
})
