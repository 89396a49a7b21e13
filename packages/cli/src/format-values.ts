import type { WaitingFor } from '@durable/core'

/** Small formatters shared by the commands' human output. */

/**
 * Time between two instants, compact and signed: `+0ms`, `+250ms`, `+1.5s`, `+3m04s`, `+2h05m`,
 * `+3d04h`. A negative gap (clock skew between workers) shows as `-…`.
 */
export function formatElapsed(ms: number): string {
  const sign = ms < 0 ? '-' : '+'
  const abs = Math.round(Math.abs(ms))
  const two = (n: number) => String(n).padStart(2, '0')
  if (abs < 1_000) return `${sign}${abs}ms`
  if (abs < 60_000) return `${sign}${(abs / 1_000).toFixed(1)}s`
  const seconds = Math.floor(abs / 1_000)
  if (seconds < 3_600) return `${sign}${Math.floor(seconds / 60)}m${two(seconds % 60)}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 1_440) return `${sign}${Math.floor(minutes / 60)}h${two(minutes % 60)}m`
  const hours = Math.floor(minutes / 60)
  return `${sign}${Math.floor(hours / 24)}d${two(hours % 24)}h`
}

/** A value as one line of JSON, cut to `max` characters with `…`. `undefined` is empty. */
export function oneLine(value: unknown, max = 60): string {
  const text = value === undefined ? '' : (JSON.stringify(value) ?? '')
  return truncate(text, max)
}

/** `text` cut to `max` characters, ending with `…` when cut; newlines become spaces. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ')
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`
}

/** An instant to the second, in UTC: `2026-01-08T12:00:00Z`. */
export function formatInstant(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`
}

/**
 * What a waiting run waits for, in a few words: `signal approved until 2026-01-08T12:00:00Z`,
 * `signal approved` (no timeout), `timer 2026-01-08T12:00:00Z`, `child 01JD2Q7ZK4…`.
 */
export function describeWaitingFor(waiting: WaitingFor): string {
  switch (waiting.kind) {
    case 'signal':
      return `signal ${waiting.name}${waiting.until === null ? '' : ` until ${formatInstant(waiting.until)}`}`
    case 'timer':
      return `timer ${formatInstant(waiting.until)}`
    case 'child':
      return `child ${waiting.runId}`
  }
}

/** An error recorded by durable, `message [CODE]`, with `in step X` when it names one. */
export function describeRecordedError(error: { message: string; code?: string; step?: string }): string {
  return `${error.message}${error.code ? ` [${error.code}]` : ''}${error.step ? ` in step ${error.step}` : ''}`
}
