import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEFAULT_MAX_PAYLOAD_BYTES } from '@durable/core'
import type { Durable } from '@durable/provider'
import { CliError } from '../cli-error.js'
import type { Connection } from '../connect.js'
import { hostAllowed } from './allowed-hosts.js'
import { explainApiError } from './api-error.js'
import { answerApi, type ApiContext, type ApiRequestInfo } from './api-routes.js'
import { STATIC_ASSETS } from './static-assets.js'

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** The runtime whose runs to show; the dashboard uses only its public API. */
  readonly durable: Durable
  /** Interface to listen on. */
  readonly host: string
  /** Port to listen on; 0 picks a free one. */
  readonly port: number
  /** Needed by signal, cancel and retry; none: the dashboard is read-only. */
  readonly token?: string | undefined
  /** The database, so that error messages can name it without its password. */
  readonly connection?: Connection | undefined
  /** How often the page refreshes, in milliseconds. Default 2000. */
  readonly pollMs?: number
  /** Told about requests that failed unexpectedly (bugs, not bad input): one line each. */
  onUnexpectedError(error: unknown, request: string): void
}

/** A dashboard that is listening. */
export interface RunningDashboard {
  /** Where to open it: `http://127.0.0.1:4280/`. */
  readonly url: string
  readonly port: number
  /** Stops listening and drops open connections. */
  close(): Promise<void>
}

// Only our own files may run or style the page: even if run data slipped into the markup,
// the browser would not execute it. Inline styles are refused too (bars are sized through CSSOM).
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
} as const

/**
 * Serves the dashboard: the page at `/` and its JSON API under `/api/` (see `answerApi`).
 * Resolves once it listens; a port in use or an address that is not this machine's rejects
 * with a one-line `CliError`.
 *
 * ### Example
 * ```ts
 * const dashboard = await startDashboard({ durable, host: '127.0.0.1', port: 0, token, onUnexpectedError: console.error })
 * console.log(dashboard.url)
 * await dashboard.close()
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const context: ApiContext = {
    durable: options.durable,
    token: options.token,
    // A signal payload may be as large as the runtime accepts, plus its JSON envelope.
    maxBodyBytes: DEFAULT_MAX_PAYLOAD_BYTES + 64 * 1024,
    pollMs: options.pollMs ?? 2000,
  }
  const server = createServer((request, response) => {
    handle(request, response, context, options).catch((error: unknown) => {
      options.onUnexpectedError(error, `${request.method} ${request.url}`)
      if (!response.headersSent) sendJson(response, 500, { error: { code: 'INTERNAL', message: "unexpected error: the dashboard's terminal has the details" } })
      else response.destroy()
    })
  })
  await listen(server, options.host, options.port)
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${urlHost(options.host)}:${port}/`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        // The page's keep-alive connections would hold `close` open until they time out.
        server.closeAllConnections()
      }),
  }
}

async function handle(request: IncomingMessage, response: ServerResponse, context: ApiContext, options: DashboardOptions): Promise<void> {
  if (!hostAllowed(request.headers.host, options.host)) {
    sendJson(response, 403, {
      error: { code: 'FORBIDDEN_HOST', message: `this dashboard answers only requests to ${options.host} or localhost, not to "${request.headers.host ?? ''}"` },
    })
    return
  }
  const url = new URL(request.url ?? '/', 'http://dashboard.invalid')
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    const info: ApiRequestInfo = {}
    try {
      const answer = await answerApi(request, url, context, info)
      sendJson(response, answer.status, answer.body)
    } catch (error) {
      const failure = explainApiError(error, info.about, options.connection)
      if (failure.unexpected) options.onUnexpectedError(error, `${request.method} ${url.pathname}`)
      sendJson(response, failure.status, { error: { code: failure.code, message: failure.message } })
    }
    return
  }
  const asset = STATIC_ASSETS.get(url.pathname)
  if (asset === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
    response.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' })
    response.end(`not found: the dashboard is at /\n`)
    return
  }
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.contentType, 'content-length': Buffer.byteLength(asset.body) })
  response.end(request.method === 'HEAD' ? undefined : asset.body)
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

/** Listens, turning the usual refusals into a message that says what to do. */
function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${urlHost(host)}:${port}`
      if (error.code === 'EADDRINUSE')
        reject(new CliError('PORT_IN_USE', `port ${port} is in use on ${host} (another dashboard?): pick another with --port N, or --port 0 for a free one`))
      else if (error.code === 'EACCES') reject(new CliError('PORT_DENIED', `not allowed to listen on ${where}: ports below 1024 need privileges; pick another with --port N`))
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
        reject(new CliError('HOST_UNAVAILABLE', `cannot listen on ${host}: it is not an address of this machine (the default, 127.0.0.1, always is)`))
      } else reject(error)
    })
    server.listen(port, host, () => resolve())
  })
}

/** A host as it appears in a URL: IPv6 addresses in brackets; any-address binds as 127.0.0.1. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
