import { describeValue } from './describe-value.js'
import { DurableError, type ErrorCode } from './errors.js'

/** Milliseconds (a number) or a string: `'250ms'`, `'5s'`, `'10m'`, `'2h'`, `'7d'`. */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`
type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd'

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/

/**
 * Parses a `Duration` into milliseconds. Refuses negative, NaN, infinite and unparseable values
 * with a `DurableError` of the given code (`INVALID_DEFINITION` for definitions, `INVALID_INPUT` for calls).
 *
 * ### Example
 * ```ts
 * parseDuration('2h') // 7_200_000
 * ```
 */
export function parseDuration(value: unknown, what = 'duration', code: ErrorCode = 'INVALID_DEFINITION'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw new DurableError(code, `${what} must be a finite number of milliseconds ≥ 0, got ${describeValue(value)}`)
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim())
    if (match) {
      const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit]
      if (Number.isFinite(ms)) return ms
    }
  }
  throw new DurableError(code, `${what} is not a valid duration: ${describeValue(value)} (use milliseconds or a string like '250ms', '5s', '10m', '2h', '7d')`)
}
