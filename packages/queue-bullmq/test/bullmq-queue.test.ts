import { isDurableError } from '@durable/core'
import { testQueueAdapter } from '@durable/queue-adapter/testing'
import { bullmqQueue } from '@durable/queue-bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../../testing/free-port.ts'
import { startRedis, type RedisServer } from './redis-server.ts'

let redis: RedisServer
let queueCounter = 0
/** Every case gets its own BullMQ queue, so no case sees another's jobs. */
const nextQueueName = () => `conformance-${queueCounter++}`
const warnings: string[] = []
const logger = { warn: (_obj: unknown, msg?: string) => void warnings.push(msg ?? '') }

beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

testQueueAdapter('bullmqQueue', async () => {
  const adapter = bullmqQueue({ connection: { host: '127.0.0.1', port: redis.port }, queueName: nextQueueName(), logger })
  await adapter.migrate()
  return { adapter }
})

/** The DurableError code `run` throws or rejects with, or 'none'. */
async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run()
  } catch (error) {
    return isDurableError(error) ? error.code : `not a DurableError: ${String(error)}`
  }
  return 'none'
}

describe('bullmqQueue', () => {
  it('refuses bad options and bad dispatch arguments with INVALID_INPUT', async () => {
    const connection = { host: '127.0.0.1', port: redis.port }
    for (const options of [{}, { connection, queueName: 'a:b' }, { connection, queueName: '' }, { connection, connectTimeoutMs: 0 }]) {
      expect(await codeOf(() => bullmqQueue(options as never)), JSON.stringify(options)).toBe('INVALID_INPUT')
    }
    const adapter = bullmqQueue({ connection, queueName: nextQueueName(), logger })
    try {
      expect(await codeOf(() => adapter.dispatch({ runId: '' }))).toBe('INVALID_INPUT')
      expect(await codeOf(() => adapter.dispatch({ runId: 'r', runAt: new Date(Number.NaN) }))).toBe('INVALID_INPUT')
      expect(await codeOf(() => adapter.consume(async () => {}, { concurrency: 0 }))).toBe('INVALID_INPUT')
    } finally {
      await adapter.close()
    }
  })

  it('fails fast with INVALID_INPUT, naming the address and the fix, when Redis is unreachable', async () => {
    const port = await freePort() // nothing listens there
    const adapter = bullmqQueue({ connection: { host: '127.0.0.1', port }, connectTimeoutMs: 1_000, logger })
    try {
      const started = Date.now()
      const error = await adapter.migrate().catch((e: unknown) => e)
      expect(isDurableError(error, 'INVALID_INPUT')).toBe(true)
      expect((error as Error).message).toContain(`127.0.0.1:${port}`)
      expect((error as Error).message).toMatch(/start redis-server or fix options\.connection/)
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(await codeOf(() => adapter.dispatch({ runId: 'r' }))).toBe('INVALID_INPUT')
      expect(await codeOf(() => adapter.consume(async () => {}, { concurrency: 1 }))).toBe('INVALID_INPUT')
    } finally {
      await adapter.close()
    }
  })
})
