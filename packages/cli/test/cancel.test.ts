import { defineWorkflow } from '@durable/core'
import type { Durable } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { FALLBACK_NOTE } from '../src/app-connection.ts'
import { checkout, cli, finishRuns, runtimeOn, waitForStatus } from './helpers.ts'

const compensated: string[] = []

/** Books, then sleeps a week: cancelled while asleep, its booking is undone. */
const napper = defineWorkflow<{ guest: string }>('napper')
  .step('book', async (ctx) => ({ room: `room-${ctx.input.guest}` }), {
    compensate: async (ctx) => {
      compensated.push(ctx.input.guest)
    },
  })
  .sleep('nap', '7d')
  .step('checkout', async () => 'never reached')

const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV'

let database: TestDatabase
let env: Record<string, string>
let runtime: Durable
let completedId: string

beforeAll(async () => {
  database = await createTestDatabase('cli_cancel')
  env = { DATABASE_URL: database.url }
  runtime = await runtimeOn(database.url, [napper, checkout])
  ;[completedId] = (await finishRuns(runtime, [() => runtime.start(checkout, { sku: 'C1' })])) as [string]
})
afterAll(async () => {
  await runtime?.close()
  await database?.drop()
})

async function sleepingRun(guest: string): Promise<string> {
  const id = await runtime.start(napper, { guest })
  await waitForStatus(runtime, id, 'waiting')
  return id
}

describe('durable cancel', () => {
  it('cancels a sleeping run: its finished steps are compensated and it ends cancelled, with the reason', async () => {
    const id = await sleepingRun('ann')
    const { code, stdout, stderr } = await cli(['cancel', id, '--reason', 'guest called'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: FALLBACK_NOTE })
    expect(stdout).toBe(`cancelling run ${id}: a worker stops it at the next step boundary, compensates its finished steps and ends it cancelled\n`)
    const done = await runtime.waitFor(id, { timeout: '20s' })
    expect(done.status).toBe('cancelled')
    expect(done.error).toMatchObject({ message: 'run cancelled: guest called', code: 'RUN_CANCELLED' })
    expect(compensated).toContain('ann')
    expect((await runtime.journal(id)).map((entry) => [entry.stepKey, entry.kind])).toContainEqual(['book', 'compensated'])
  })

  it('prints { ok, runId, reason } with --json', async () => {
    const id = await sleepingRun('bob')
    const { code, stdout } = await cli(['cancel', '--json', id], { env })
    expect(code).toBe(0)
    const printed = JSON.parse(stdout)
    expect(Object.keys(printed)).toEqual(['ok', 'runId', 'reason'])
    expect(printed).toEqual({ ok: true, runId: id, reason: null })
    const done = await runtime.waitFor(id, { timeout: '20s' })
    expect(done).toMatchObject({ status: 'cancelled', error: { message: 'run cancelled', code: 'RUN_CANCELLED' } })

    // Cancelled already: a finished run.
    const again = await cli(['cancel', id, '--json'], { env })
    expect(again.code).toBe(1)
    expect(JSON.parse(again.stderr)).toEqual({ error: { code: 'RUN_NOT_ACTIVE', message: `run ${id} is cancelled: cannot cancel it` } })
  })

  it('exits 1 for a completed run and for an unknown one', async () => {
    expect(await cli(['cancel', completedId], { env })).toEqual({ code: 1, stdout: '', stderr: `durable: run ${completedId} is completed: cannot cancel it\n` })
    expect(await cli(['cancel', MISSING], { env })).toEqual({ code: 1, stdout: '', stderr: `durable: run ${MISSING} not found\n` })
  })

  it('exits 2 for a missing id, an empty or overlong --reason', async () => {
    expect((await cli(['cancel'], { env })).stderr).toBe(
      'durable: missing <id>, or filters to cancel many runs: --workflow NAME, --status STATUS, --created-before DATE\nRun "durable cancel --help" for usage.\n',
    )
    const empty = await cli(['cancel', MISSING, '--reason', ''], { env })
    expect(empty.code).toBe(2)
    expect(empty.stderr.split('\n')[0]).toBe('durable: --reason needs some text')
    const long = await cli(['cancel', MISSING, '--reason', 'x'.repeat(1001)], { env })
    expect(long.code).toBe(2)
    expect(long.stderr.split('\n')[0]).toBe('durable: --reason is 1001 characters long; at most 1000')
  })
})
