import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineWorkflow, isDurableError } from '@durable/core'
import { embeddedDurable } from '@durable/embedded'
import { afterAll, describe, expect, it } from 'vitest'

let charged = 0
const checkout = defineWorkflow<{ sku: string }>('checkout')
  .step('reserve', async (ctx) => ({ id: `res-${ctx.input.sku}` }))
  .step('charge', async (ctx) => {
    charged++
    return { paid: ctx.results.reserve.id }
  })

const dirs: string[] = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'durable-embedded-'))
  dirs.push(dir)
  return join(dir, 'data')
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('embeddedDurable', () => {
  it('runs a workflow in memory with no setup', async () => {
    const durable = embeddedDurable({ workflows: [checkout], dataDir: 'memory://' })
    await durable.worker({ concurrency: 2 }).start()
    try {
      const run = await durable.waitFor(await durable.start(checkout, { sku: 'A1' }), { timeout: '20s' })
      expect(run.status).toBe('completed')
      expect(run.results).toEqual({ reserve: { id: 'res-A1' }, charge: { paid: 'res-A1' } })
    } finally {
      await durable.close()
    }
  })

  it('keeps runs in its data directory: a run started before a restart finishes after it', async () => {
    const dataDir = freshDir()
    const first = embeddedDurable({ workflows: [checkout], dataDir })
    const runId = await first.start(checkout, { sku: 'B2' })
    await first.close()

    const before = charged
    const second = embeddedDurable({ workflows: [checkout], dataDir })
    await second.worker().start()
    try {
      expect((await second.waitFor(runId, { timeout: '20s' })).status).toBe('completed')
      expect(charged - before).toBe(1)
      expect((await second.list()).runs.map((r) => r.id)).toEqual([runId])
    } finally {
      await second.close()
    }
  })

  it('refuses a second instance on the same data directory while the first is open', async () => {
    const dataDir = freshDir()
    const first = embeddedDurable({ workflows: [checkout], dataDir })
    try {
      let thrown: unknown
      try {
        embeddedDurable({ workflows: [checkout], dataDir })
      } catch (error) {
        thrown = error
      }
      expect(isDurableError(thrown, 'INVALID_INPUT')).toBe(true)
      expect((thrown as Error).message).toContain('open in this process')
    } finally {
      await first.close()
    }
    // Closed: the directory can be opened again.
    const again = embeddedDurable({ workflows: [checkout], dataDir })
    await again.close()
  })

  it('takes over the lock of a process that no longer exists', async () => {
    const dataDir = freshDir()
    writeFileSync(`${dataDir}.lock`, '2147483646')
    const durable = embeddedDurable({ workflows: [checkout], dataDir })
    const runId = await durable.start(checkout, { sku: 'C3' })
    expect((await durable.find(runId)).status).toBe('pending')
    await durable.close()
  })
})
