/** Starts `durable dashboard` as the built binary, as a user would, and talks HTTP to it. */
import { spawn } from 'node:child_process'
import { request } from 'node:http'
import { bin } from './helpers.ts'

export interface DashboardProcess {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string
  readonly port: number
  /** What it wrote on stderr so far. */
  stderr(): string
  /** Sends SIGTERM and resolves to the exit code. */
  stop(): Promise<number | null>
}

/**
 * Runs `durable dashboard --port 0 --json <args>` and resolves once it prints where it listens;
 * rejects with its stderr if it exits first (or after 20 s).
 */
export function startDashboardProcess(args: string[], env: Record<string, string>, cwd?: string): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [bin, 'dashboard', '--port', '0', '--json', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`durable dashboard did not start within 20 s; stderr: ${stderr}`))
    }, 20_000)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`durable dashboard exited with ${code} before listening; stderr: ${stderr}`))
    })
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      let printed: { url: string; port: number }
      try {
        printed = JSON.parse(stdout) as { url: string; port: number }
      } catch {
        return // not the whole document yet
      }
      clearTimeout(timer)
      resolve({
        url: printed.url,
        port: printed.port,
        stderr: () => stderr,
        stop: () => {
          child.kill('SIGTERM')
          return exited
        },
      })
    })
  })
}

/** An HTTP answer: status, headers and the body, parsed when it is JSON. */
export interface HttpAnswer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly text: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the answer's fields directly
  readonly json: any
}

/**
 * One request to the dashboard with `node:http` (which, unlike `fetch`, may set `Host`). A
 * string body is sent as it is, anything else as JSON.
 */
export function http(base: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const url = new URL(path, base)
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers } }, (response) => {
      let text = ''
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      response.on('end', () => {
        let json: unknown = undefined
        if (String(response.headers['content-type']).startsWith('application/json')) json = JSON.parse(text)
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json })
      })
    })
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}
