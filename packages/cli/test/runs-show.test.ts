import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { ANSI, checkout, cli, finishRuns, gate, runtimeOn, saga, waitForStatus } from './helpers.ts'

let database: TestDatabase
let env: Record<string, string>
let completedId: string
let failedId: string
let gateId: string

beforeAll(async () => {
  database = await createTestDatabase('cli_show')
  env = { DATABASE_URL: database.url }
  const durable = await runtimeOn(database.url, [checkout, saga, gate])
  try {
    ;[completedId, failedId] = (await finishRuns(durable, [() => durable.start(checkout, { sku: 'A1' }), () => durable.start(saga, { orderId: 'o-1' })])) as [string, string]
    // Waits for `approved`; two `shipped` (its next wait) are sent early and kept.
    gateId = await durable.start(gate, { orderId: 'o-2' })
    await waitForStatus(durable, gateId, 'waiting')
    await durable.signal(gateId, 'shipped', { note: 'x'.repeat(200) })
    await durable.signal(gateId, 'shipped', 'twice')
  } finally {
    await durable.close()
  }
})
afterAll(async () => database?.drop())

/** The timeline rows of `runs show`: the lines after the JOURNAL header, split on 2+ spaces. */
function timeline(stdout: string): string[][] {
  const lines = stdout.trimEnd().split('\n')
  const header = lines.findIndex((line) => line.startsWith('SEQ'))
  expect(header).toBeGreaterThan(0)
  return lines.slice(header + 1).map((line) => line.split(/ {2,}/))
}

describe('durable runs show', () => {
  it('prints a completed run and its journal as a timeline', async () => {
    const { code, stdout, stderr } = await cli(['runs', 'show', completedId], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toContain(`Run ${completedId}\n`)
    expect(stdout).toMatch(/\n {2}workflow +checkout\n {2}status +completed\n/)
    expect(stdout).toContain('input     {"sku":"A1"}')
    expect(stdout).toContain('result    {"reserve":{"reservationId":"res-A1"},"charge":{"paid":"res-A1"}}')
    expect(stdout).toContain('Journal (2 entries)')
    expect(stdout).toMatch(/SEQ +STEP +KIND +ATTEMPT +SINCE +RESULT \/ ERROR/)
    const rows = timeline(stdout)
    expect(rows.map(([seq, step, kind, attempt]) => [seq, step, kind, attempt])).toEqual([
      ['1', 'reserve', 'step_completed', '1'],
      ['2', 'charge', 'step_completed', '1'],
    ])
    for (const row of rows) expect(row[4]).toMatch(/^\+\d+(ms|\.\ds)$/)
    expect(rows[1]![5]).toBe('{"paid":"res-A1"}')
    expect(stdout).not.toMatch(ANSI)
  })

  it('prints a failed run with its error, the failed step and the compensation marked', async () => {
    const { code, stdout } = await cli(['runs', 'show', failedId], { env })
    expect(code).toBe(0)
    expect(stdout).toMatch(/ {2}status +failed\n {2}error +address is invalid \[NON_RETRYABLE\] in step ship\n/)
    expect(stdout).not.toMatch(/^ {2}result/m)
    const rows = timeline(stdout)
    expect(rows.map(([seq, step, kind]) => [seq, step, kind])).toEqual([
      ['1', 'reserve', 'step_completed'],
      ['2', 'ship', 'step_failed'],
      ['3', 'reserve', '↩ compensated'],
    ])
    expect(rows[1]![5]).toBe('address is invalid [NON_RETRYABLE]')
  })

  it('prints the run and the whole journal as JSON with --json', async () => {
    const { code, stdout } = await cli(['runs', 'show', '--json', failedId], { env })
    expect(code).toBe(0)
    const shown = JSON.parse(stdout)
    expect(Object.keys(shown)).toEqual(['run', 'journal', 'pendingSignals'])
    expect(Object.keys(shown.run)).toEqual([
      'id',
      'workflowName',
      'status',
      'input',
      'results',
      'result',
      'error',
      'parentRunId',
      'attempts',
      'waitingFor',
      'createdAt',
      'updatedAt',
    ])
    expect(shown.run.waitingFor).toBeNull()
    expect(shown.pendingSignals).toEqual([])
    expect(shown.run).toMatchObject({ id: failedId, status: 'failed', result: null, results: { reserve: { id: 'r1' } } })
    expect(shown.journal).toHaveLength(3)
    for (const entry of shown.journal) {
      expect(Object.keys(entry)).toEqual(['seq', 'stepKey', 'stepName', 'kind', 'attempt', 'result', 'error', 'createdAt'])
    }
    expect(shown.journal.map((e: { kind: string }) => e.kind)).toEqual(['step_completed', 'step_failed', 'compensated'])
    expect(shown.journal[0]).toMatchObject({ seq: 1, stepKey: 'reserve', result: { id: 'r1' }, error: null })
    expect(shown.journal[1]).toMatchObject({
      stepKey: 'ship',
      result: null,
      error: { name: 'NonRetryableError', message: 'address is invalid', code: 'NON_RETRYABLE', retryable: false },
    })
  })

  it('prints what a waiting run waits for and the signals it has not taken yet', async () => {
    const { code, stdout } = await cli(['runs', 'show', gateId], { env })
    expect(code).toBe(0)
    expect(stdout).toMatch(/\n {2}status +waiting\n {2}waiting for +signal approved until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n {2}tries +0\n/)
    expect(stdout).toContain('Pending signals (2)\n')
    const lines = stdout.split('\n')
    const header = lines.findIndex((line) => line.startsWith('NAME'))
    expect(lines[header]).toMatch(/^NAME +SENT +PAYLOAD$/)
    const rows = lines.slice(header + 1, header + 3).map((line) => line.split(/ {2,}/))
    expect(rows.map(([name]) => name)).toEqual(['shipped', 'shipped'])
    for (const row of rows) expect(row[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    // The payload, short: one line cut to 60 characters.
    expect(rows[0]![2]).toBe(`{"note":"${'x'.repeat(50)}…`)
    expect(rows[1]![2]).toBe('"twice"')
    expect(stdout).toContain('Journal: no entries yet')

    const shown = JSON.parse((await cli(['runs', 'show', '--json', gateId], { env })).stdout)
    expect(shown.run.waitingFor).toEqual({ kind: 'signal', name: 'approved', until: expect.stringMatching(/Z$/) })
    expect(stdout).toContain(`signal approved until ${shown.run.waitingFor.until.slice(0, 19)}Z`)
    expect(shown.pendingSignals).toEqual([
      { name: 'shipped', payload: { note: 'x'.repeat(200) }, sentAt: expect.stringMatching(/Z$/) },
      { name: 'shipped', payload: 'twice', sentAt: expect.stringMatching(/Z$/) },
    ])
  })

  it('says a waiting run has no pending signal, and an ended one says nothing of signals', async () => {
    const done = await cli(['runs', 'show', completedId], { env })
    expect(done.stdout).not.toContain('Pending signals')
    expect(done.stdout).not.toContain('waiting for')
  })

  it('exits 1 with a clear message, and no stack, for an unknown run id', async () => {
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV'
    const { code, stdout, stderr } = await cli(['runs', 'show', missing], { env })
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `durable: run ${missing} not found\n` })

    const json = await cli(['runs', 'show', missing, '--json'], { env })
    expect(json.code).toBe(1)
    expect(json.stdout).toBe('')
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'RUN_NOT_FOUND', message: `run ${missing} not found` } })
  })

  it('exits 2 when the id is missing, empty, or there is more than one', async () => {
    const missing = await cli(['runs', 'show'], { env })
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'durable: missing <id>\nRun "durable runs show --help" for usage.\n' })
    const extra = await cli(['runs', 'show', completedId, failedId], { env })
    expect(extra.code).toBe(2)
    expect(extra.stderr).toContain(`unexpected argument "${failedId}"`)
    const empty = await cli(['runs', 'show', ''], { env })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/^durable: a run id is a non-empty string/)
  })
})
