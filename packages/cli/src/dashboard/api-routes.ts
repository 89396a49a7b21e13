import type { IncomingMessage } from 'node:http'
import type { RunStatus } from '@durable/core'
import type { Durable, ListOptions, RunFilter } from '@durable/provider'
import { pendingSignalJson, scheduleJson, snapshotJson, summaryJson } from '../json-output.js'
import { authorizeChange } from './access-token.js'
import { ApiError, type ApiAction } from './api-error.js'
import { readJsonObject } from './request-body.js'
import { runTimeline } from './run-timeline.js'

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']
const ACTIVE: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating']
const MAX_LIMIT = 1000
const MAX_REASON = 1000

/** What the API's handlers work with. */
export interface ApiContext {
  readonly durable: Durable
  /** The token that signal, cancel and retry need; none: the dashboard is read-only. */
  readonly token: string | undefined
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number
  /** How often the page refreshes what it shows, in milliseconds. */
  readonly pollMs: number
}

/** An answer of the API: a status and a JSON body. */
export interface ApiAnswer {
  readonly status: number
  readonly body: unknown
}

/** Filled in as the request is routed, so that an error names the run and the action. */
export interface ApiRequestInfo {
  about?: ApiAction
}

/**
 * Answers one request under `/api/`. Reads go through the runtime's `list`, `find`, `journal`,
 * `pendingSignals`, `stats` and `schedules`; changes through `signal`, `cancel` and `retry`, after the token check.
 *
 * | request | answer |
 * |---|---|
 * | `GET /api/config` | `{ readOnly, pollMs }` |
 * | `GET /api/stats` | `{ byStatus, total, due, dueLagMs, leased }`, as `durable.stats()` |
 * | `GET /api/schedules` | `{ schedules }`, as `durable schedules --json` |
 * | `GET /api/runs?workflow=&status=&key=&limit=&cursor=` | `{ runs, nextCursor }`, as `durable runs list --json`; `key`: an idempotency key |
 * | `GET /api/runs/:id` | `{ run, timeline: { spanMs, rows }, pendingSignals }` |
 * | `POST /api/runs/:id/signal` `{ name, payload? }` | `{ ok, runId, signal }` |
 * | `POST /api/runs/:id/cancel` `{ reason? }` | `{ ok, runId }` |
 * | `POST /api/runs/:id/retry` | `{ ok, runId }` |
 * | `POST /api/bulk/cancel` `{ workflow?, status?, reason?, dryRun? }` | `{ count }`: the active runs that match (`dryRun`: counted, not cancelled) |
 * | `POST /api/bulk/retry` `{ workflow?, dryRun? }` | `{ count }`: the failed runs that match |
 */
export async function answerApi(request: IncomingMessage, url: URL, context: ApiContext, info: ApiRequestInfo): Promise<ApiAnswer> {
  const method = request.method ?? 'GET'
  const parts = url.pathname.split('/').slice(2) // ['', 'api', …]
  if (parts.length === 1 && parts[0] === 'config') {
    onlyMethods(method, ['GET'])
    return { status: 200, body: { readOnly: context.token === undefined, pollMs: context.pollMs } }
  }
  if (parts.length === 1 && parts[0] === 'stats') {
    onlyMethods(method, ['GET'])
    const { byStatus, total, due, dueLagMs, leased } = await context.durable.stats()
    return { status: 200, body: { byStatus, total, due, dueLagMs, leased } }
  }
  if (parts.length === 1 && parts[0] === 'schedules') {
    onlyMethods(method, ['GET'])
    return { status: 200, body: { schedules: (await context.durable.schedules()).map(scheduleJson) } }
  }
  if (parts.length === 2 && parts[0] === 'bulk' && (parts[1] === 'cancel' || parts[1] === 'retry')) {
    onlyMethods(method, ['POST'])
    authorizeChange(request.headers.authorization, context.token)
    return { status: 200, body: await bulkAction(parts[1], await readJsonObject(request, context.maxBodyBytes), context.durable) }
  }
  if (parts[0] !== 'runs') throw notFound(method, url)
  if (parts.length === 1) {
    onlyMethods(method, ['GET'])
    const page = await context.durable.list(listOptions(url.searchParams))
    return { status: 200, body: { runs: page.runs.map(summaryJson), nextCursor: page.nextCursor ?? null } }
  }
  const runId = decodeSegment(parts[1] ?? '')
  if (parts.length === 2) {
    onlyMethods(method, ['GET'])
    info.about = { runId, action: 'show it' }
    const run = await context.durable.find(runId)
    const [journal, signals] = await Promise.all([context.durable.journal(runId), context.durable.pendingSignals(runId)])
    return { status: 200, body: { run: snapshotJson(run), timeline: runTimeline(run, journal), pendingSignals: signals.map(pendingSignalJson) } }
  }
  if (parts.length !== 3) throw notFound(method, url)
  const action = parts[2]
  if (action !== 'signal' && action !== 'cancel' && action !== 'retry') throw notFound(method, url)
  onlyMethods(method, ['POST'])
  authorizeChange(request.headers.authorization, context.token)
  const body = await readJsonObject(request, context.maxBodyBytes)
  if (action === 'signal') {
    const name = body.name
    if (typeof name !== 'string' || name === '') throw new ApiError(400, 'INVALID_INPUT', 'a signal needs "name": the name of the run\'s waitForSignal step')
    info.about = { runId, action: `send it signal "${name}"` }
    // An absent payload is null, as with `durable signal <id> <name>`.
    const payload = 'payload' in body ? body.payload : null
    await context.durable.signal(runId, name, payload)
    return { status: 200, body: { ok: true, runId, signal: name } }
  }
  if (action === 'cancel') {
    const reason = body.reason
    if (reason !== undefined && (typeof reason !== 'string' || reason === '' || reason.length > MAX_REASON)) {
      throw new ApiError(400, 'INVALID_INPUT', `"reason" must be some text of at most ${MAX_REASON} characters, or left out`)
    }
    info.about = { runId, action: 'cancel it' }
    await context.durable.cancel(runId, reason === undefined ? {} : { reason })
    return { status: 200, body: { ok: true, runId } }
  }
  info.about = { runId, action: 'retry it' }
  await context.durable.retry(runId)
  return { status: 200, body: { ok: true, runId } }
}

/**
 * Cancels the active runs, or retries the failed runs, that match the body's filters; a filter
 * is required (the page offers bulk actions only on a filtered list). `dryRun`: only counts.
 */
async function bulkAction(action: 'cancel' | 'retry', body: Record<string, unknown>, durable: Durable): Promise<{ count: number }> {
  const { workflow, status, reason, dryRun } = body
  if (workflow !== undefined && (typeof workflow !== 'string' || workflow === '')) throw new ApiError(400, 'INVALID_INPUT', '"workflow" must be a workflow name, or left out')
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new ApiError(400, 'INVALID_INPUT', '"dryRun" must be true or false, or left out')
  const allowed = action === 'cancel' ? ACTIVE : ['failed']
  if (status !== undefined && !(allowed as readonly unknown[]).includes(status)) {
    throw new ApiError(400, 'INVALID_INPUT', `"status" must be one of ${allowed.join(', ')} to ${action} runs, or left out; got ${JSON.stringify(status)}`)
  }
  if (workflow === undefined && status === undefined)
    throw new ApiError(400, 'INVALID_INPUT', `name a "workflow" or a "status": ${action} in bulk acts on a filtered list, never on every run`)
  const filter: RunFilter = {
    ...(workflow !== undefined ? { workflowName: workflow } : {}),
    ...(status !== undefined && action === 'cancel' ? { status: status as RunStatus } : {}),
  }
  if (action === 'retry') return durable.retryMany(filter, { dryRun: dryRun === true })
  if (reason !== undefined && (typeof reason !== 'string' || reason === '' || reason.length > MAX_REASON)) {
    throw new ApiError(400, 'INVALID_INPUT', `"reason" must be some text of at most ${MAX_REASON} characters, or left out`)
  }
  return durable.cancelMany(filter, { dryRun: dryRun === true, ...(reason !== undefined ? { reason } : {}) })
}

/** The filters of `GET /api/runs`, checked: a bad value is a 400 that names it. */
function listOptions(params: URLSearchParams): ListOptions {
  const options: ListOptions = {}
  const workflow = params.get('workflow')
  if (workflow !== null && workflow !== '') options.workflowName = workflow
  const status = params.get('status')
  if (status !== null && status !== '') {
    if (!(STATUSES as readonly string[]).includes(status)) throw new ApiError(400, 'INVALID_INPUT', `status must be one of ${STATUSES.join(', ')}; got "${status}"`)
    options.status = status as RunStatus
  }
  const key = params.get('key')
  if (key !== null && key !== '') options.idempotencyKey = key
  const limit = params.get('limit')
  if (limit !== null && limit !== '') {
    const n = /^\d+$/.test(limit) ? Number(limit) : Number.NaN
    if (!(n >= 1 && n <= MAX_LIMIT)) throw new ApiError(400, 'INVALID_INPUT', `limit must be a whole number from 1 to ${MAX_LIMIT}; got "${limit}"`)
    options.limit = n
  }
  const cursor = params.get('cursor')
  if (cursor !== null && cursor !== '') options.cursor = cursor
  return options
}

function onlyMethods(method: string, allowed: readonly string[]): void {
  if (!allowed.includes(method)) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `use ${allowed.join(' or ')} here, not ${method}`)
}

function notFound(method: string, url: URL): ApiError {
  return new ApiError(404, 'NOT_FOUND', `no API route ${method} ${url.pathname}: see GET /api/runs, GET /api/runs/<id>, GET /api/stats and GET /api/schedules`)
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new ApiError(400, 'INVALID_INPUT', 'the run id in the URL is not valid percent-encoding')
  }
}
