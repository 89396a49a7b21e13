import { defineWorkflow } from '@durable/core'
import type { Durable } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { FALLBACK_NOTE } from '../src/app-connection.ts'
import { checkout, cli, finishRuns, runtimeOn, waitForStatus } from './helpers.ts'

/** Parks at `approved` until signalled; `finish` reads the payload. */
const approval = defineWorkflow<{ order: string }>('approval')
  .step('prepare', async (ctx) => ({ order: ctx.input.order }))
  .waitForSignal('approved')
  .step('finish', async (ctx) => ({ approvedBy: (ctx.results.approved as { by?: string } | null)?.by ?? null }))

const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV'
// Usage is checked before connecting: this server does not exist.
const unreachable = { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' }

let database: TestDatabase
let env: Record<string, string>
let runtime: Durable
let completedId: string

beforeAll(async () => {
  database = await createTestDatabase('cli_signal')
  env = { DATABASE_URL: database.url }
  // The worker of "the app": it finishes the runs the CLI signals.
  runtime = await runtimeOn(database.url, [approval, checkout])
  ;[completedId] = (await finishRuns(runtime, [() => runtime.start(checkout, { sku: 'S1' })])) as [string]
})
afterAll(async () => {
  await runtime?.close()
  await database?.drop()
})

/** Starts an approval run and waits until it is parked in its signal wait. */
async function waitingRun(order: string): Promise<string> {
  const id = await runtime.start(approval, { order })
  await waitForStatus(runtime, id, 'waiting')
  return id
}

describe('durable signal', () => {
  it('wakes a run waiting in waitForSignal, with the JSON payload as the wait step result', async () => {
    const id = await waitingRun('o-1')
    const sent = await cli(['signal', id, 'approved', '{"by":"ann"}'], { env })
    expect(sent).toEqual({ code: 0, stdout: `sent signal "approved" to run ${id}\n`, stderr: FALLBACK_NOTE })
    const done = await runtime.waitFor(id, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.result).toEqual({ prepare: { order: 'o-1' }, approved: { by: 'ann' }, finish: { approvedBy: 'ann' } })
  })

  it('sends null when the payload is left out, and prints { ok, runId, signal, payload } with --json', async () => {
    const id = await waitingRun('o-2')
    const { code, stdout, stderr } = await cli(['signal', id, 'approved', '--json'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const printed = JSON.parse(stdout)
    expect(Object.keys(printed)).toEqual(['ok', 'runId', 'signal', 'payload'])
    expect(printed).toEqual({ ok: true, runId: id, signal: 'approved', payload: null })
    const done = await runtime.waitFor(id, { timeout: '20s' })
    expect(done.result).toMatchObject({ approved: null, finish: { approvedBy: null } })
  })

  it('takes a negative number after --', async () => {
    const id = await waitingRun('o-3')
    const refused = await cli(['signal', id, 'approved', '-1'], { env })
    expect(refused.code).toBe(2)
    expect(refused.stderr.split('\n')[0]).toBe('durable: unknown flag -1 for "signal" (to pass a negative number, put it after --: durable signal … -- -1)')
    expect((await cli(['signal', id, 'approved', '--', '-1'], { env })).code).toBe(0)
    expect((await runtime.waitFor(id, { timeout: '20s' })).result).toMatchObject({ approved: -1 })
  })

  it.each([
    ['{by:"ann"}', 'unexpected "b" at position 1 (line 1, column 2)'],
    ['{"by":"ann"', 'it ends too early, at position 11 (line 1, column 12)'],
    ['yes', 'unexpected "y" at position 0 (line 1, column 1)'],
    ['{"by":\n  "ann",}', 'unexpected "}" at position 15 (line 2, column 9)'],
  ])('refuses the malformed payload %j with exit 2, naming the position', async (payload, where) => {
    const { code, stdout, stderr } = await cli(['signal', MISSING, 'approved', payload], { env: unreachable })
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' })
    expect(stderr).toBe(
      `durable: payload is not valid JSON: ${where} (quote it for the shell, e.g. '{"by":"ann"}', or '"text"' for a string)\nRun "durable signal --help" for usage.\n`,
    )
  })

  it('refuses an empty payload or name, and a payload JSON cannot hold, with exit 2', async () => {
    const empty = await cli(['signal', MISSING, 'approved', ''], { env: unreachable })
    expect(empty.code).toBe(2)
    expect(empty.stderr.split('\n')[0]).toBe('durable: payload is empty: pass a JSON value, or leave it out to send null')
    const noName = await cli(['signal', MISSING, ''], { env: unreachable })
    expect(noName.code).toBe(2)
    expect(noName.stderr.split('\n')[0]).toBe('durable: <name> must be the name of a waitForSignal step, not empty')
    // Valid JSON, but a string with \u0000 is refused by the runtime (NOT_SERIALIZABLE).
    const nul = await cli(['signal', completedId, 'approved', '"a\\u0000b"'], { env })
    expect(nul.code).toBe(2)
    expect(nul.stderr).toMatch(/^durable: .*payload of signal "approved"/)
    expect((await cli(['signal', MISSING], { env: unreachable })).stderr.split('\n')[0]).toBe('durable: missing <name>')
    expect((await cli(['signal', MISSING, 'a', '1', '2'], { env: unreachable })).stderr.split('\n')[0]).toBe('durable: unexpected argument "2" for "signal"')
  })

  it('exits 1 with RUN_NOT_ACTIVE wording for a finished run', async () => {
    const { code, stdout, stderr } = await cli(['signal', completedId, 'approved', '{"by":"ann"}'], { env })
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `durable: run ${completedId} is completed: cannot send it signal "approved"\n` })
    const json = await cli(['signal', completedId, 'approved', '--json'], { env })
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'RUN_NOT_ACTIVE', message: `run ${completedId} is completed: cannot send it signal "approved"` } })
  })

  it('exits 1 for an unknown run', async () => {
    const { code, stdout, stderr } = await cli(['signal', MISSING, 'approved'], { env })
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `durable: run ${MISSING} not found\n` })
  })
})
