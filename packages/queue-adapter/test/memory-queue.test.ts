import { describe, expect, it } from 'vitest'
import { isDurableError } from '@durable/core'
import { memoryQueue, type DurableJob } from '@durable/queue-adapter'
import { testQueueAdapter } from '@durable/queue-adapter/testing'

testQueueAdapter('memoryQueue', async () => ({ adapter: memoryQueue() }))

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(5)
  }
}

describe('memoryQueue', () => {
  it('shares jobs between the consumers of one queue', async () => {
    const queue = memoryQueue()
    const byConsumer: [string[], string[]] = [[], []]
    const consumers = await Promise.all(
      byConsumer.map((seen) =>
        queue.consume(
          async (job) => {
            seen.push(job.runId)
            await sleep(20)
          },
          { concurrency: 2 },
        ),
      ),
    )
    const ids = Array.from({ length: 20 }, (_, i) => `r${i}`)
    for (const id of ids) await queue.dispatch({ runId: id })
    await waitUntil(() => byConsumer[0].length + byConsumer[1].length === ids.length)
    await Promise.all(consumers.map((c) => c.stop()))
    expect([...byConsumer[0], ...byConsumer[1]].sort()).toEqual([...ids].sort())
    expect(byConsumer[0].length).toBeGreaterThan(0)
    expect(byConsumer[1].length).toBeGreaterThan(0)
    await queue.close()
  })

  it('never starts a handler inside dispatch, so a handler may dispatch again', async () => {
    const queue = memoryQueue()
    const seen: string[] = []
    let insideDispatch = false
    let reentered = false
    await queue.consume(
      async (job) => {
        // Recorded, not asserted here: the queue swallows handler errors.
        if (insideDispatch) reentered = true
        seen.push(job.runId)
        if (seen.length < 3) {
          insideDispatch = true
          const dispatched = queue.dispatch({ runId: job.runId })
          insideDispatch = false
          await dispatched
        }
      },
      { concurrency: 4 },
    )
    await queue.dispatch({ runId: 'again' })
    await waitUntil(() => seen.length === 3)
    expect(seen).toEqual(['again', 'again', 'again'])
    expect(reentered).toBe(false)
    await queue.close()
  })

  it('keeps jobs dispatched before any consumer until one starts', async () => {
    const queue = memoryQueue()
    await queue.dispatch({ runId: 'early' })
    await sleep(20)
    const seen: DurableJob[] = []
    await queue.consume(async (job) => void seen.push(job), { concurrency: 1 })
    await waitUntil(() => seen.length === 1)
    expect(seen[0]).toEqual({ runId: 'early' })
    await queue.close()
  })

  it('close() stops consumers, cancels delayed jobs and refuses new work', async () => {
    const queue = memoryQueue()
    const seen: string[] = []
    let finished = false
    await queue.consume(
      async (job) => {
        seen.push(job.runId)
        await sleep(100)
        finished = true
      },
      { concurrency: 1 },
    )
    await queue.dispatch({ runId: 'now' })
    await queue.dispatch({ runId: 'later', runAt: new Date(Date.now() + 150) })
    await waitUntil(() => seen.length === 1)
    await queue.close()
    expect(finished).toBe(true)
    await sleep(250)
    expect(seen).toEqual(['now'])
    await expect(queue.dispatch({ runId: 'after' })).rejects.toThrow(/closed/)
    await expect(queue.consume(async () => {}, { concurrency: 1 })).rejects.toThrow(/closed/)
  })

  it('refuses an invalid concurrency, runId or runAt with INVALID_INPUT', async () => {
    const queue = memoryQueue()
    for (const concurrency of [0, -1, 1.5, Number.NaN]) {
      const error = await queue.consume(async () => {}, { concurrency }).catch((e: unknown) => e)
      expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    }
    const badJobs = [{ runId: '' }, { runId: 'r', runAt: new Date(Number.NaN) }] as DurableJob[]
    for (const job of badJobs) {
      const error = await queue.dispatch(job).catch((e: unknown) => e)
      expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
    }
    await queue.close()
  })
})
