/**
 * What the other modules share: building elements, formatting values, calling the API with the
 * token. Run data reaches the page only as `textContent` and attribute values set here — never
 * through `innerHTML` — so a run's input cannot become markup.
 */
import type { DashboardConfig, RunErrorJson, RunStatus, WaitingForJson } from './api-types.ts'

export const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']
const TERMINAL: readonly string[] = ['completed', 'failed', 'cancelled']

/** Read-only until `/api/config` says otherwise. */
export const config: { readOnly: boolean; pollMs: number } = { readOnly: true, pollMs: 2000 }

/** Takes the answer of `/api/config`. */
export function setConfig(next: DashboardConfig): void {
  config.readOnly = next.readOnly
  config.pollMs = next.pollMs
}

/** Set by the page's shell: forgets the token and redraws what it unlocked. */
export const shell = { forgetToken: (): void => {} }

type Listeners = Readonly<Record<string, (event: Event) => void>>
type PropValue = string | boolean | null | undefined | Listeners
/** Text, class, listeners (`on: { click: fn }`) and any attribute. */
export type Props = { readonly on?: Listeners } & { readonly [name: string]: PropValue }
export type Child = Node | string | null | undefined | false

/** An element with props and children (nodes or text; null, undefined and false are skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'text') el.textContent = String(value)
    else if (key === 'class') el.className = String(value)
    else if (key === 'on') for (const [type, listener] of Object.entries(value as Listeners)) el.addEventListener(type, listener)
    else if (/^on/i.test(key)) throw new Error('listeners go in on: { ... }, not in attribute ' + key)
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  }
  return el
}

/** Replaces the children of parent, skipping null, undefined and false. */
export function fill<E extends Element>(parent: E, children: readonly Child[]): E {
  parent.replaceChildren(...children.filter((child): child is Node | string => child !== null && child !== undefined && child !== false))
  return parent
}

export const isTerminal = (status: string): boolean => TERMINAL.includes(status)

/** A run id as a link to its page. */
export function runLink(id: string): HTMLAnchorElement {
  return h('a', { class: 'mono', href: '#/runs/' + encodeURIComponent(id), text: id })
}

export function statusBadge(status: string, id?: string): HTMLSpanElement {
  const known = (STATUSES as readonly string[]).includes(status) ? status : 'unknown'
  return h('span', { class: 'status status-' + known, id, text: status })
}

/**
 * An ISO instant in the viewer's time zone, to the second: "2025-11-25 12:47:57". The whole page
 * shows times this way, in one zone; the UTC instant is in the tooltip ({@link time}).
 */
export function localTime(iso: string): string {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return String(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return at.getFullYear() + '-' + two(at.getMonth() + 1) + '-' + two(at.getDate()) + ' ' + two(at.getHours()) + ':' + two(at.getMinutes()) + ':' + two(at.getSeconds())
}

/** The viewer's time zone, as the browser names it ("Europe/Paris"). */
export function timeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time'
  } catch {
    return 'local time'
  }
}

/** An ISO instant in local time, with the UTC instant in the tooltip (title). */
export function time(iso: string): HTMLSpanElement {
  return h('span', { class: 'time', title: iso + ' (UTC)', text: localTime(iso) })
}

/** Time between two instants, compact and signed, as the CLI prints it: +250ms, +1.5s, +3m04s. */
export function elapsed(ms: number): string {
  const sign = ms < 0 ? '-' : '+'
  const abs = Math.round(Math.abs(ms))
  const two = (n: number) => String(n).padStart(2, '0')
  if (abs < 1000) return sign + abs + 'ms'
  if (abs < 60000) return sign + (abs / 1000).toFixed(1) + 's'
  const seconds = Math.floor(abs / 1000)
  if (seconds < 3600) return sign + Math.floor(seconds / 60) + 'm' + two(seconds % 60) + 's'
  const minutes = Math.floor(seconds / 60)
  if (minutes < 1440) return sign + Math.floor(minutes / 60) + 'h' + two(minutes % 60) + 'm'
  const hours = Math.floor(minutes / 60)
  return sign + Math.floor(hours / 24) + 'd' + two(hours % 24) + 'h'
}

/** A value as one line of JSON, cut to max characters. */
export function oneLine(value: unknown, max: number): string {
  const text = JSON.stringify(value) ?? ''
  return text.length <= max ? text : text.slice(0, max - 1) + '\u2026'
}

/** A value as indented JSON in a <pre>. */
export function pre(value: unknown, id: string): HTMLPreElement {
  return h('pre', { id, text: JSON.stringify(value, null, 2) })
}

/** "message [CODE] in step X", as the CLI prints a recorded error. */
export function describeError(error: RunErrorJson): string {
  return error.message + (error.code ? ' [' + error.code + ']' : '') + (error.step ? ' in step ' + error.step : '')
}

/** What a waiting run waits for, with times in local time: "signal approved until 2026-01-08 13:00:00", "timer …", "child 01J…". */
export function describeWaitingFor(waiting: WaitingForJson | null): string {
  if (!waiting) return ''
  if (waiting.kind === 'signal') return 'signal ' + waiting.name + (waiting.until ? ' until ' + localTime(waiting.until) : '')
  if (waiting.kind === 'timer') return 'timer ' + localTime(waiting.until)
  if (waiting.kind === 'child') return 'child ' + waiting.runId
  return (waiting as { kind: string }).kind
}

/** What a waiting run waits for, with the child run as a link. */
export function waitingFor(waiting: WaitingForJson | null, id?: string): HTMLSpanElement {
  if (waiting && waiting.kind === 'child') return h('span', { id, class: 'waiting-for' }, ['child ', runLink(waiting.runId)])
  const until = waiting ? waiting.until : null
  return h('span', { id, class: 'waiting-for', title: until ? until + ' (UTC)' : undefined, text: describeWaitingFor(waiting) })
}

/** The token that unlocks signal, cancel and retry, kept for this tab only. */
export const token = {
  KEY: 'durable-dashboard-token',
  get(): string {
    try {
      return sessionStorage.getItem(token.KEY) || ''
    } catch {
      return ''
    }
  },
  set(value: string): void {
    try {
      sessionStorage.setItem(token.KEY, value)
    } catch {
      /* private mode: kept nowhere */
    }
  },
  clear(): void {
    try {
      sessionStorage.removeItem(token.KEY)
    } catch {
      /* nothing kept */
    }
  },
}

/** Why a call to the API failed: the API's error code (or `HTTP_<status>`, `UNREACHABLE`) and the HTTP status. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
  ) {
    super(message)
  }
}

/** Any rejection as an ApiFailure, so a view can say what went wrong. */
export function failureOf(error: unknown): ApiFailure {
  if (error instanceof ApiFailure) return error
  return new ApiFailure(error instanceof Error ? error.message : String(error), '')
}

/** Calls the API; resolves to the JSON answer, rejects with an ApiFailure. */
export function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const bearer = token.get()
  if (method !== 'GET' && bearer) headers.authorization = 'Bearer ' + bearer
  if (body !== undefined) headers['content-type'] = 'application/json'
  const request: RequestInit = { method, headers, cache: 'no-store' }
  if (body !== undefined) request.body = JSON.stringify(body)
  return fetch(path, request).then(
    (response) =>
      response
        .json()
        .catch(() => null)
        .then((data: { error?: { code: string; message: string } } | null) => {
          if (response.ok) return data as T
          const error = data?.error ?? { code: 'HTTP_' + response.status, message: 'the dashboard answered ' + response.status }
          throw new ApiFailure(error.message, error.code, response.status)
        }),
    () => {
      throw new ApiFailure('cannot reach the dashboard: is durable dashboard still running?', 'UNREACHABLE')
    },
  )
}
