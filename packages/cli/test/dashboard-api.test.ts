import { fileURLToPath } from 'node:url'
import type { Durable } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { FALLBACK_NOTE } from '../src/app-connection.ts'
import { shipping } from './fixtures/shipping-workflows.mjs'
import { http, startDashboardProcess, type DashboardProcess, type HttpAnswer } from './dashboard-process.ts'
import { doorman, guestbook, invoice, napper, order, XSS_IMAGE, XSS_NOTE } from './dashboard-workflows.ts'
import { checkout, cli, durableBin, finishRuns, runtimeOn, waitForStatus } from './helpers.ts'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const TOKEN = 'dashboard-test-token-4f9a2c'
const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV'

let database: TestDatabase
let env: Record<string, string>
let runtime: Durable
let dashboard: DashboardProcess
let readOnly: DashboardProcess
let checkoutIds: string[]
let guestbookId: string
let shippingId: string

beforeAll(async () => {
  database = await createTestDatabase('cli_dashboard_api')
  env = { DATABASE_URL: database.url }
  runtime = await runtimeOn(database.url, [checkout, order, invoice, napper, guestbook, shipping, doorman])
  process.env.DURABLE_CLI_TEST_CARRIER = 'down'
  try {
    ;[shippingId] = (await finishRuns(runtime, [() => runtime.start(shipping, { orderId: 'd-1' })])) as [string]
  } finally {
    delete process.env.DURABLE_CLI_TEST_CARRIER
  }
  checkoutIds = await finishRuns(
    runtime,
    ['A', 'B', 'C'].map((sku) => () => runtime.start(checkout, { sku })),
  )
  ;[guestbookId] = (await finishRuns(runtime, [() => runtime.start(guestbook, { note: XSS_NOTE })])) as [string]
  // One with the token and the fixture's workflows (for retry), one read-only.
  ;[dashboard, readOnly] = await Promise.all([
    startDashboardProcess(['--workflows', 'test/fixtures/shipping-workflows.mjs'], { ...env, DURABLE_DASHBOARD_TOKEN: TOKEN }, packageDir),
    startDashboardProcess([], env),
  ])
})
afterAll(async () => {
  await Promise.all([dashboard?.stop(), readOnly?.stop()])
  await runtime?.close()
  await database?.drop()
})

const get = (path: string) => http(dashboard.url, 'GET', path)
/** A POST with the token, another one, or none (`null`). */
const post = (path: string, body?: unknown, token: string | null = TOKEN, on = dashboard) =>
  http(on.url, 'POST', path, { body: body ?? {}, headers: token === null ? {} : { authorization: `Bearer ${token}` } })

/** An error answer: its status and `{ error: { code, message } }`, and never a stack trace. */
function expectError(answer: HttpAnswer, status: number, code: string): string {
  expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status, code })
  expect(Object.keys(answer.json)).toEqual(['error'])
  expect(answer.text).not.toMatch(/\n\s+at /)
  return answer.json.error.message as string
}

async function napping(guest: string): Promise<string> {
  const id = await runtime.start(napper, { guest })
  await waitForStatus(runtime, id, 'waiting')
  return id
}

describe('durable dashboard: the JSON API', () => {
  it('lists runs newest first, as the runtime does, filtered by workflow and status, a page at a time', async () => {
    const all = await get('/api/runs')
    expect(all.status).toBe(200)
    expect(all.json.runs.map((run: { id: string }) => run.id)).toEqual((await runtime.list()).runs.map((run) => run.id))
    expect(Object.keys(all.json.runs[0])).toEqual(['id', 'workflowName', 'status', 'input', 'error', 'parentRunId', 'attempts', 'waitingFor', 'createdAt', 'updatedAt'])

    const checkouts = await get('/api/runs?workflow=checkout')
    expect(checkouts.json.runs.map((run: { id: string }) => run.id)).toEqual([...checkoutIds].reverse())
    const first = await get('/api/runs?workflow=checkout&limit=2')
    expect(first.json.runs.map((run: { id: string }) => run.id)).toEqual([checkoutIds[2], checkoutIds[1]])
    expect(first.json.nextCursor).toBe(checkoutIds[1])
    const second = await get(`/api/runs?workflow=checkout&limit=2&cursor=${first.json.nextCursor}`)
    expect(second.json).toMatchObject({ runs: [{ id: checkoutIds[0], status: 'completed' }], nextCursor: null })

    const failed = await get('/api/runs?status=failed')
    expect(failed.json.runs.map((run: { id: string }) => run.id).sort()).toEqual([guestbookId, shippingId].sort())
  })

  it('counts runs by status with the due backlog, as stats() does', async () => {
    // Every run so far has ended: the counts hold still while both are read.
    const [answer, stats] = await Promise.all([get('/api/stats'), runtime.stats()])
    expect(answer.status).toBe(200)
    expect(Object.keys(answer.json)).toEqual(['byStatus', 'total', 'due', 'dueLagMs', 'leased'])
    expect(answer.json.byStatus).toEqual(stats.byStatus)
    expect(answer.json.byStatus).toMatchObject({ completed: checkoutIds.length, failed: 2 })
    expect(answer.json.total).toBe(stats.total)
    expect(answer.json).toMatchObject({ due: 0, dueLagMs: 0, leased: 0 })
    expectError(await post('/api/stats'), 405, 'METHOD_NOT_ALLOWED')
  })

  it('says what a waiting run waits for and lists the signals it has not taken yet, though the dashboard lacks its workflow', async () => {
    const id = await runtime.start(doorman, { guest: 'ada' })
    await waitForStatus(runtime, id, 'waiting')
    await runtime.signal(id, 'enter', { door: 'front' })
    const shown = await get(`/api/runs/${id}`)
    expect(Object.keys(shown.json)).toEqual(['run', 'timeline', 'pendingSignals'])
    expect(shown.json.run.waitingFor).toEqual({ kind: 'signal', name: 'knock', until: expect.stringMatching(/Z$/) })
    const until = Date.parse(shown.json.run.waitingFor.until) - Date.parse(shown.json.run.createdAt)
    expect(until).toBeGreaterThanOrEqual(7 * 24 * 3_600_000)
    expect(shown.json.pendingSignals).toEqual([{ name: 'enter', payload: { door: 'front' }, sentAt: expect.stringMatching(/Z$/) }])
    const listed = (await get('/api/runs?workflow=doorman')).json.runs
    expect(listed.map((run: { waitingFor: unknown }) => run.waitingFor)).toEqual([shown.json.run.waitingFor])

    await runtime.signal(id, 'knock')
    expect((await runtime.waitFor(id, { timeout: '20s' })).result).toMatchObject({ enter: { door: 'front' }, greet: 'welcome, ada' })
    const done = await get(`/api/runs/${id}`)
    expect(done.json.run.waitingFor).toBeNull()
    expect(done.json.pendingSignals).toEqual([])
  })

  it('shows a run with its timeline: a row per journal entry, timed from the entry before, with errors, compensations, the signal and the child', async () => {
    const id = await runtime.start(order, { orderId: 'o-7' })
    await waitForStatus(runtime, id, 'waiting') // at the child, or at the signal wait
    const sent = await post(`/api/runs/${id}/signal`, { name: 'approved', payload: { by: 'ada' } })
    expect({ status: sent.status, body: sent.json }).toEqual({ status: 200, body: { ok: true, runId: id, signal: 'approved' } })
    expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('failed')

    const shown = await get(`/api/runs/${id}`)
    expect(shown.status).toBe(200)
    const { run, timeline } = shown.json
    expect(run).toMatchObject({
      id,
      workflowName: 'order',
      status: 'failed',
      input: { orderId: 'o-7' },
      error: { message: 'the carrier refused the parcel', code: 'NON_RETRYABLE', step: 'ship' },
    })
    const journal = await runtime.journal(id)
    expect(timeline.rows.map((row: { seq: number; stepKey: string; kind: string; attempt: number }) => [row.seq, row.stepKey, row.kind, row.attempt])).toEqual(
      journal.map((entry) => [entry.seq, entry.stepKey, entry.kind, entry.attempt]),
    )
    expect(timeline.rows.map((row: { kind: string }) => row.kind)).toEqual([
      'step_completed',
      'step_failed',
      'step_completed',
      'child_started',
      'child_completed',
      'signal_received',
      'step_failed',
      'compensated',
      'compensated',
    ])
    // Each bar runs from the entry before (the first: from the run's creation) to this entry.
    let previous = new Date(run.createdAt).getTime()
    for (const [index, row] of timeline.rows.entries()) {
      const at = journal[index]!.createdAt.getTime()
      expect(row).toMatchObject({ createdAt: journal[index]!.createdAt.toISOString(), startOffsetMs: previous - new Date(run.createdAt).getTime(), durationMs: at - previous })
      previous = at
    }
    expect(timeline.spanMs).toBe(Math.max(previous, new Date(run.updatedAt).getTime()) - new Date(run.createdAt).getTime())

    const declined = timeline.rows[1]
    expect(declined).toMatchObject({ stepKey: 'charge', attempt: 1, error: { name: 'Error', message: 'card declined, try again', code: 'CARD_DECLINED', retryable: true } })
    expect(declined.error.stack).toContain('card declined, try again')
    expect(timeline.rows[5]).toMatchObject({ stepKey: 'approved', result: { by: 'ada' } })
    expect(timeline.rows.filter((row: { compensation: boolean }) => row.compensation).map((row: { stepKey: string }) => row.stepKey)).toEqual(['charge', 'reserve'])

    const childId = timeline.rows[3].childRunId as string
    expect(childId).toMatch(/^[0-9A-Z]{26}$/)
    const child = await get(`/api/runs/${childId}`)
    expect(child.json.run).toMatchObject({ id: childId, workflowName: 'invoice', parentRunId: id, status: 'completed' })
  })

  it('refuses changes without the token or with a wrong one (401), and on a read-only dashboard (403)', async () => {
    const id = await napping('eve')
    expect(expectError(await post(`/api/runs/${id}/cancel`, {}, null), 401, 'UNAUTHORIZED')).toContain('need the dashboard token')
    expect(expectError(await post(`/api/runs/${id}/cancel`, {}, `${TOKEN}x`), 401, 'UNAUTHORIZED')).toContain('wrong dashboard token')
    expectError(await post(`/api/runs/${id}/signal`, { name: 'x' }, 'nope'), 401, 'UNAUTHORIZED')
    expect(expectError(await post(`/api/runs/${id}/cancel`, {}, TOKEN, readOnly), 403, 'READ_ONLY')).toContain('restart it with --token (or DURABLE_DASHBOARD_TOKEN)')
    expect((await http(readOnly.url, 'GET', '/api/config')).json).toEqual({ readOnly: true, pollMs: 2000 })
    expect((await get('/api/config')).json).toEqual({ readOnly: false, pollMs: 2000 })
    // Nothing was done.
    expect((await runtime.find(id)).status).toBe('waiting')
    expect((await runtime.journal(id)).map((entry) => entry.kind)).not.toContain('cancel_requested')
    await runtime.cancel(id)
  })

  it('cancels a run with the token; cancelling it again is 409 RUN_NOT_ACTIVE', async () => {
    const id = await napping('ann')
    const cancelled = await post(`/api/runs/${id}/cancel`, { reason: 'guest left' })
    expect({ status: cancelled.status, body: cancelled.json }).toEqual({ status: 200, body: { ok: true, runId: id } })
    expect(await runtime.waitFor(id, { timeout: '20s' })).toMatchObject({ status: 'cancelled', error: { message: 'run cancelled: guest left', code: 'RUN_CANCELLED' } })
    expect(expectError(await post(`/api/runs/${id}/cancel`), 409, 'RUN_NOT_ACTIVE')).toBe(`run ${id} is cancelled: cannot cancel it`)
    expect(expectError(await post(`/api/runs/${id}/signal`, { name: 'wake' }), 409, 'RUN_NOT_ACTIVE')).toBe(`run ${id} is cancelled: cannot send it signal "wake"`)
  })

  it('retries a failed run — its workflow need not be known to the dashboard: a worker that has it resumes it', async () => {
    const retried = await post(`/api/runs/${shippingId}/retry`)
    expect({ status: retried.status, body: retried.json }).toEqual({ status: 200, body: { ok: true, runId: shippingId } })
    expect((await runtime.waitFor(shippingId, { timeout: '20s' })).status).toBe('completed')
    // guestbook is not in the dashboard's --workflows module; the app's worker has it.
    const elsewhere = await post(`/api/runs/${guestbookId}/retry`)
    expect({ status: elsewhere.status, body: elsewhere.json }).toEqual({ status: 200, body: { ok: true, runId: guestbookId } })
    await expect.poll(async () => (await runtime.journal(guestbookId)).some((e) => e.kind === 'run_retried'), { timeout: 20_000 }).toBe(true)
    expect(expectError(await post(`/api/runs/${checkoutIds[0]}/retry`), 409, 'RUN_NOT_ACTIVE')).toBe(
      `run ${checkoutIds[0]} is completed: cannot retry it (only a failed run can be retried)`,
    )
  })

  it('lists the runs started with an idempotency key (key=), with the other filters', async () => {
    const id = await runtime.start(checkout, { sku: 'K' }, { idempotencyKey: 'order-key-1' })
    expect((await get('/api/runs?key=order-key-1')).json.runs.map((run: { id: string }) => run.id)).toEqual([id])
    expect((await get('/api/runs?key=order-key-1&workflow=checkout')).json.runs.map((run: { id: string }) => run.id)).toEqual([id])
    expect((await get('/api/runs?key=order-key-1&workflow=napper')).json.runs).toEqual([])
    expect((await get('/api/runs?key=no-such-key')).json).toEqual({ runs: [], nextCursor: null })
    await runtime.waitFor(id, { timeout: '20s' })
  })

  it('cancels the runs that match in bulk, after counting them with dryRun; refuses an unfiltered or impossible bulk action', async () => {
    const ids = [await napping('bulk-1'), await napping('bulk-2')]
    const waiting = (await runtime.list({ workflowName: 'napper', status: 'waiting' })).runs.length
    const counted = await post('/api/bulk/cancel', { workflow: 'napper', status: 'waiting', dryRun: true })
    expect({ status: counted.status, body: counted.json }).toEqual({ status: 200, body: { count: waiting } })
    for (const id of ids) expect((await runtime.find(id)).status).toBe('waiting')
    expectError(await post('/api/bulk/cancel', { workflow: 'napper' }, null), 401, 'UNAUTHORIZED')
    expectError(await post('/api/bulk/cancel', { workflow: 'napper' }, TOKEN, readOnly), 403, 'READ_ONLY')
    expect(expectError(await post('/api/bulk/cancel', {}), 400, 'INVALID_INPUT')).toContain('never on every run')
    expect(expectError(await post('/api/bulk/cancel', { status: 'completed' }), 400, 'INVALID_INPUT')).toContain('"status" must be one of pending, running, waiting, compensating')
    expect(expectError(await post('/api/bulk/retry', { status: 'waiting' }), 400, 'INVALID_INPUT')).toContain('"status" must be one of failed')
    expectError(await post('/api/bulk/cancel', { workflow: 'napper', dryRun: 'yes' }), 400, 'INVALID_INPUT')
    expectError(await http(dashboard.url, 'GET', '/api/bulk/cancel'), 405, 'METHOD_NOT_ALLOWED')
    for (const id of ids) expect((await runtime.find(id)).status).toBe('waiting')

    const done = await post('/api/bulk/cancel', { workflow: 'napper', status: 'waiting', reason: 'closing early' })
    expect({ status: done.status, body: done.json }).toEqual({ status: 200, body: { count: waiting } })
    for (const id of ids) expect(await runtime.waitFor(id, { timeout: '20s' })).toMatchObject({ status: 'cancelled', error: { message: 'run cancelled: closing early' } })
  })

  it('answers bad requests with a 4xx JSON error that says what is wrong', async () => {
    expect(expectError(await get(`/api/runs/${MISSING}`), 404, 'RUN_NOT_FOUND')).toContain(`run ${MISSING} not found`)
    expectError(await post(`/api/runs/${MISSING}/cancel`), 404, 'RUN_NOT_FOUND')
    const id = checkoutIds[0]!
    expect(expectError(await post(`/api/runs/${id}/signal`, '{"name": "approved", payload: 1}'), 400, 'INVALID_JSON')).toBe(
      'the request body is not valid JSON: unexpected "p" at position 21 (line 1, column 22)',
    )
    expectError(await post(`/api/runs/${id}/signal`, '[1, 2]'), 400, 'INVALID_INPUT')
    expect(expectError(await post(`/api/runs/${id}/signal`, { payload: 1 }), 400, 'INVALID_INPUT')).toContain('"name"')
    expectError(await post(`/api/runs/${id}/cancel`, { reason: 42 }), 400, 'INVALID_INPUT')
    expect(expectError(await get('/api/runs?status=done'), 400, 'INVALID_INPUT')).toBe(
      'status must be one of pending, running, waiting, compensating, completed, failed, cancelled; got "done"',
    )
    expectError(await get('/api/runs?limit=0'), 400, 'INVALID_INPUT')
    expectError(await get(`/api/runs/${'x'.repeat(101)}`), 400, 'INVALID_INPUT')
    expectError(await get('/api/nothing'), 404, 'NOT_FOUND')
    expectError(await http(dashboard.url, 'DELETE', `/api/runs/${id}`), 405, 'METHOD_NOT_ALLOWED')
    expect((await get('/nothing')).status).toBe(404)
  })

  it('returns HTML in run data as JSON strings, and serves a page whose policy runs only its own scripts', async () => {
    const shown = await get(`/api/runs/${guestbookId}`)
    expect(shown.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(shown.headers['x-content-type-options']).toBe('nosniff')
    expect(shown.json.run.input).toEqual({ note: XSS_NOTE })
    expect(shown.json.run.results).toEqual({ sign: { said: XSS_NOTE } })
    expect(shown.json.run.error.message).toBe(`refused ${XSS_IMAGE}`)

    const page = await get('/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    // Every script is a file of the dashboard: nothing inline for data to hide in.
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attributes, body] of scripts) {
      expect(body).toBe('')
      const src = /src="([^"]+)"/.exec(attributes ?? '')?.[1] ?? ''
      const asset = await get(src)
      expect({ src, status: asset.status, type: asset.headers['content-type'] }).toEqual({ src, status: 200, type: 'text/javascript; charset=utf-8' })
      expect(asset.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/)
    }
  })

  it('answers only requests addressed to a loopback host (no DNS rebinding)', async () => {
    expectError(await http(dashboard.url, 'GET', '/api/runs', { headers: { host: 'evil.example' } }), 403, 'FORBIDDEN_HOST')
    expectError(await http(dashboard.url, 'GET', '/', { headers: { host: `evil.example:${dashboard.port}` } }), 403, 'FORBIDDEN_HOST')
    expect((await http(dashboard.url, 'GET', '/api/config', { headers: { host: `localhost:${dashboard.port}` } })).status).toBe(200)
  })

  it('exits 1 with one line when the port is in use, and 2 for a bad flag', async () => {
    const taken = await durableBin(['dashboard', '--port', String(dashboard.port)], env)
    expect(taken).toEqual({
      code: 1,
      stdout: '',
      stderr: `durable: port ${dashboard.port} is in use on 127.0.0.1 (another dashboard?): pick another with --port N, or --port 0 for a free one\n`,
    })
    const badPort = await cli(['dashboard', '--port', '99999'], { env })
    expect({ code: badPort.code, first: badPort.stderr.split('\n')[0] }).toEqual({
      code: 2,
      first: 'durable: --port must be a whole number from 0 to 65535 (0: a free port); got "99999"',
    })
    const emptyToken = await cli(['dashboard', '--token', ''], { env })
    expect({ code: emptyToken.code, first: emptyToken.stderr.split('\n')[0] }).toEqual({
      code: 2,
      first: 'durable: --token must be some text without spaces, e.g. $(openssl rand -hex 16)',
    })
  })

  it('answers 503 without the connection string when the database goes away, and keeps serving', async () => {
    const doomed = await createTestDatabase('cli_dashboard_doomed')
    const migrated = await cli(['migrate'], { env: { DATABASE_URL: doomed.url } })
    expect(migrated.code).toBe(0)
    const watching = await startDashboardProcess([], { DATABASE_URL: doomed.url })
    try {
      expect((await http(watching.url, 'GET', '/api/runs')).status).toBe(200)
      await doomed.drop()
      const answer = await http(watching.url, 'GET', '/api/runs')
      expect(answer.status).toBe(503)
      expect(['CONNECTION_FAILED', 'STORE_UNAVAILABLE']).toContain(answer.json.error.code)
      expect(answer.text).not.toContain(doomed.url)
      expect(answer.text).not.toMatch(/\n\s+at /)
      expect((await http(watching.url, 'GET', '/')).status).toBe(200)
    } finally {
      expect(await watching.stop()).toBe(0)
    }
  })

  it('stops on SIGTERM with exit code 0', async () => {
    const extra = await startDashboardProcess([], env)
    expect((await http(extra.url, 'GET', '/api/config')).status).toBe(200)
    expect(await extra.stop()).toBe(0)
    // No --workflows module names the app's queue: it says once how it wakes runs.
    expect(extra.stderr()).toBe(FALLBACK_NOTE)
  })
})
