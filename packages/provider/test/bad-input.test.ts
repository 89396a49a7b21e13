import { defineWorkflow, isDurableError, type ErrorCode } from '@durable/core'
import { createDurable, silentLogger } from '@durable/provider'
import { memoryQueue } from '@durable/queue-adapter'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgliteHarness, type Harness } from './harness.ts'

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<ErrorCode | string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    return isDurableError(error) ? error.code : `not a DurableError: ${String(error)}`
  }
  return undefined
}

const greet = defineWorkflow<unknown>('greet').step('hello', async () => 'hi')
const badResult = defineWorkflow('bad-result')
  .step('ok', async () => 1, { compensate: async () => {} })
  .step('big', async () => ({ n: 10n }) as unknown)
const circular = defineWorkflow('circular-result').step('loop', async () => {
  const a: Record<string, unknown> = {}
  a.self = a
  return a
})

describe('bad input', () => {
  let h: Harness
  beforeAll(async () => {
    h = await pgliteHarness([greet, badResult, circular], { maxPayloadBytes: 1024 })
  })
  afterAll(async () => h.close())

  const rowCount = async () => (await h.durable.list({ limit: 1000 })).runs.length

  it('refuses an unknown workflow before writing anything', async () => {
    const before = await rowCount()
    expect(await codeOf(h.durable.start('nope', {}))).toBe('WORKFLOW_NOT_REGISTERED')
    expect(await codeOf(h.durable.start(defineWorkflow<object>('unregistered'), {}))).toBe('WORKFLOW_NOT_REGISTERED')
    expect(await rowCount()).toBe(before)
  })

  const circularInput: Record<string, unknown> = {}
  circularInput.me = circularInput
  it.each([
    ['a BigInt', { n: 1n }],
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('x') }],
    ['a circular reference', circularInput],
    ['a string with \\u0000', { s: 'a\u0000b' }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a Map', new Map([[1, 2]])],
    ['a Set', { s: new Set([1]) }],
    ['a typed array', { b: new Uint8Array(2) }],
  ])('refuses input with %s (NOT_SERIALIZABLE) and writes no row', async (_label, input) => {
    const before = await rowCount()
    expect(await codeOf(h.durable.start(greet, input))).toBe('NOT_SERIALIZABLE')
    expect(await rowCount()).toBe(before)
  })

  it('refuses input over maxPayloadBytes with PAYLOAD_TOO_LARGE', async () => {
    const before = await rowCount()
    expect(await codeOf(h.durable.start(greet, { text: 'x'.repeat(2000) }))).toBe('PAYLOAD_TOO_LARGE')
    expect(await rowCount()).toBe(before)
  })

  it('turns Dates in input into ISO strings, as JSON.stringify does', async () => {
    const runId = await h.durable.start(greet, { at: new Date('2026-01-02T03:04:05.000Z') })
    expect((await h.durable.find(runId)).input).toEqual({ at: '2026-01-02T03:04:05.000Z' })
  })

  it('fails a step whose result is not serializable, naming the step, and compensates', async () => {
    const done = await h.durable.waitFor(await h.durable.start(badResult), { timeout: '10s' })
    expect(done.status).toBe('failed')
    expect(done.error).toMatchObject({ code: 'NOT_SERIALIZABLE', step: 'big' })
    expect(done.error?.message).toContain('step "big"')
    const circ = await h.durable.waitFor(await h.durable.start(circular), { timeout: '10s' })
    expect(circ.error).toMatchObject({ code: 'NOT_SERIALIZABLE', step: 'loop' })
    const kinds = (await h.durable.journal(done.id)).map((e) => e.kind)
    expect(kinds).toEqual(['step_completed', 'step_failed', 'compensated'])
  })

  it('throws RUN_NOT_FOUND for unknown run ids and INVALID_INPUT for malformed ones', async () => {
    expect(await codeOf(h.durable.find('01HZZZZZZZZZZZZZZZZZZZZZZZ'))).toBe('RUN_NOT_FOUND')
    expect(await codeOf(h.durable.journal('nope'))).toBe('RUN_NOT_FOUND')
    expect(await codeOf(h.durable.waitFor("'; drop table runs; --"))).toBe('RUN_NOT_FOUND')
    expect(await codeOf(h.durable.find(''))).toBe('INVALID_INPUT')
    expect(await codeOf(h.durable.find(42 as unknown as string))).toBe('INVALID_INPUT')
  })

  it('refuses signal names and cancel reasons Postgres cannot store, before any I/O', async () => {
    const runId = await h.durable.start(greet, {})
    for (const name of ['a\u0000b', 'lone \ud800 surrogate', '', 'x'.repeat(201)]) {
      expect(await codeOf(h.durable.signal(runId, name, null))).toBe('INVALID_INPUT')
      // Refused before the run is looked at: an unknown run gets the same answer.
      expect(await codeOf(h.durable.signal('01HZZZZZZZZZZZZZZZZZZZZZZZ', name, null))).toBe('INVALID_INPUT')
    }
    for (const reason of ['a\u0000b', 'lone \udc00', 'x'.repeat(1001)]) expect(await codeOf(h.durable.cancel(runId, { reason }))).toBe('INVALID_INPUT')
    expect((await h.durable.find(runId)).status).not.toBe('cancelled')
  })

  it('refuses bad waitFor timeouts and list options with INVALID_INPUT', async () => {
    const runId = await h.durable.start(greet, {})
    expect(await codeOf(h.durable.waitFor(runId, { timeout: 'soon' as never }))).toBe('INVALID_INPUT')
    expect(await codeOf(h.durable.waitFor(runId, { timeout: -1 }))).toBe('INVALID_INPUT')
    expect(await codeOf(h.durable.list({ limit: 0 }))).toBe('INVALID_INPUT')
    expect(await codeOf(h.durable.list({ status: 'sleeping' as never }))).toBe('INVALID_INPUT')
    expect(await codeOf(h.durable.start(greet, {}, { idempotencyKey: '' }))).toBe('INVALID_INPUT')
  })

  it('times out waitFor with WAIT_TIMEOUT while the run is still going', async () => {
    const slow = await pgliteHarness([greet], { worker: false })
    try {
      const runId = await slow.durable.start(greet, {})
      expect(await codeOf(slow.durable.waitFor(runId, { timeout: '100ms' }))).toBe('WAIT_TIMEOUT')
    } finally {
      await slow.close()
    }
  })

  it('refuses two workflows with the same name at creation', async () => {
    expect(await codeOf(() => createDurable({ store: h.store, queue: memoryQueue(), workflows: [greet, defineWorkflow('greet')], logger: silentLogger }))).toBe(
      'INVALID_DEFINITION',
    )
  })
})
