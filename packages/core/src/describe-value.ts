/**
 * A short, safe description of any value for an error message. Never throws: `String()` throws
 * for a symbol or a null-prototype object, `JSON.stringify` for a BigInt or a circular object.
 *
 * ### Example
 * ```ts
 * describeValue(10n) // '10n'
 * describeValue('x'.repeat(100)) // '"xxxx…"' (60 characters and an ellipsis)
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return 'a symbol'
  if (typeof value === 'function') return 'a function'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return String(value)
}
