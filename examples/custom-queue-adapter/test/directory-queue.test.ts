import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDurableError } from '@durable/core'
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { describe, expect, it } from 'vitest'
import { directoryQueue } from '../src/directory-queue.ts'

const newDir = () => mkdtemp(join(tmpdir(), 'directory-queue-'))

// The whole conformance suite, against real files in a fresh directory per case.
testQueueAdapter('directoryQueue', async () => {
  const dir = await newDir()
  const adapter = directoryQueue({ dir, pollIntervalMs: 50, onError: () => {} })
  await adapter.migrate()
  return { adapter, cleanup: () => rm(dir, { recursive: true, force: true }) }
})

describe('directoryQueue', () => {
  it('keeps queued jobs across a restart: a new queue on the same directory delivers them', async () => {
    const dir = await newDir()
    try {
      const before = directoryQueue({ dir })
      await before.migrate()
      await before.dispatch({ runId: 'survivor' })
      await before.close()
      const after = directoryQueue({ dir, pollIntervalMs: 50 })
      const seen: string[] = []
      const consumer = await after.consume(async (job) => void seen.push(job.runId), { concurrency: 1 })
      const deadline = Date.now() + 5_000
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      await consumer.stop()
      expect(seen).toEqual(['survivor'])
      expect(await readdir(join(dir, 'claimed'))).toEqual([]) // handled jobs are deleted
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('asks for migrate() when the directory is not set up', async () => {
    const dir = await newDir()
    try {
      const error = await directoryQueue({ dir: join(dir, 'missing') })
        .dispatch({ runId: 'r' })
        .catch((e: unknown) => e)
      expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
      expect((error as Error).message).toMatch(/durable\.migrate\(\)/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
