import { DurableError, NotSerializableError } from './errors.js'

/** A JSON value: what inputs, step results and signal payloads are stored as. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json }

/** Deeper values are refused: Postgres parses `jsonb` recursively and fails on very deep nesting. */
export const MAX_JSON_DEPTH = 256

/** The default limit on one stored payload (input, result, signal): 4 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024

const REFUSED_CLASSES: ReadonlyArray<[abstract new (...args: never[]) => unknown, string]> = [
  [Map, 'a Map (convert it with Object.fromEntries)'],
  [Set, 'a Set (convert it with Array.from)'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [RegExp, 'a RegExp'],
  [Promise, 'a Promise (did you forget an await?)'],
  [Error, 'an Error (store its message instead)'],
  [ArrayBuffer, 'an ArrayBuffer'],
]

/**
 * Serializes `value` to JSON text, refusing anything JSON cannot hold exactly: BigInt, functions,
 * symbols, Map, Set, typed arrays, NaN and ±Infinity, circular references, `undefined` inside
 * arrays, strings containing `\u0000` or lone surrogates (Postgres `jsonb` refuses both), and
 * nesting deeper than `MAX_JSON_DEPTH`. Dates become ISO strings (their `toJSON`), as with
 * `JSON.stringify`. A top-level `undefined` becomes `null`.
 *
 * ### Example
 * ```ts
 * toJsonText({ sku: 'A1' }, 'input of "checkout"', 4 * 1024 * 1024) // '{"sku":"A1"}'
 * ```
 */
export function toJsonText(value: unknown, what: string, maxBytes: number = DEFAULT_MAX_PAYLOAD_BYTES): string {
  const checked = value === undefined ? null : value
  assertJsonSafe(checked, what)
  const text = JSON.stringify(checked)
  const bytes = utf8Length(text)
  if (bytes > maxBytes) {
    throw new DurableError(
      'PAYLOAD_TOO_LARGE',
      `${what} is ${bytes} bytes of JSON, over the limit of ${maxBytes} bytes (maxPayloadBytes): store large data elsewhere and pass a reference`,
    )
  }
  return text
}

function assertJsonSafe(root: unknown, what: string): void {
  // Iterative walk: a recursive one would overflow the stack on hostile, deeply nested input.
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '$', depth: 0 }]
  const ancestors = new Set<object>()
  const exits: Array<{ at: number; object: object }> = []
  while (stack.length > 0) {
    const { value: raw, path, depth } = stack.pop()!
    while (exits.length > 0 && exits[exits.length - 1]!.at > stack.length) ancestors.delete(exits.pop()!.object)
    const value = applyToJson(raw, path, what)
    switch (typeof value) {
      case 'string':
        checkString(value, path, what)
        continue
      case 'number':
        if (!Number.isFinite(value)) throw new NotSerializableError(what, path, `${value} has no JSON form`)
        continue
      case 'boolean':
        continue
      case 'bigint':
        throw new NotSerializableError(what, path, 'a BigInt (convert it to a string or number)')
      case 'function':
        throw new NotSerializableError(what, path, 'a function')
      case 'symbol':
        throw new NotSerializableError(what, path, 'a symbol')
      case 'undefined':
        throw new NotSerializableError(what, path, 'undefined inside an array (JSON would turn it into null)')
    }
    if (value === null) continue
    const object = value as object
    if (depth >= MAX_JSON_DEPTH) throw new NotSerializableError(what, path, `nested deeper than ${MAX_JSON_DEPTH} levels`)
    if (ancestors.has(object)) throw new NotSerializableError(what, path, 'a circular reference')
    if (ArrayBuffer.isView(object)) throw new NotSerializableError(what, path, 'a typed array or DataView')
    for (const [cls, label] of REFUSED_CLASSES) {
      if (object instanceof cls) throw new NotSerializableError(what, path, label)
    }
    ancestors.add(object)
    exits.push({ at: stack.length, object })
    if (Array.isArray(object)) {
      for (let i = object.length - 1; i >= 0; i--) stack.push({ value: object[i], path: `${path}[${i}]`, depth: depth + 1 })
      continue
    }
    const keys = Object.keys(object)
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!
      checkString(key, `${path} (key)`, what)
      const child = (object as Record<string, unknown>)[key]
      // JSON drops undefined properties; that loses nothing a reader could see.
      if (child === undefined) continue
      stack.push({ value: child, path: `${path}.${key}`, depth: depth + 1 })
    }
  }
}

function applyToJson(value: unknown, path: string, what: string): unknown {
  if (typeof value !== 'object' || value === null) return value
  // A Buffer's toJSON would turn it into { type, data }: check it as the typed array it is.
  if (ArrayBuffer.isView(value)) return value
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON !== 'function') return unbox(value)
  if (value instanceof Date && Number.isNaN(value.getTime())) {
    throw new NotSerializableError(what, path, 'an invalid Date')
  }
  return unbox((toJSON as (key: string) => unknown).call(value, ''))
}

/** JSON.stringify writes a boxed primitive (`new Number(NaN)`, `Object(1n)`) as its primitive: check that. */
function unbox(value: unknown): unknown {
  const boxed = value instanceof Number || value instanceof String || value instanceof Boolean || value instanceof BigInt
  return boxed ? (value as { valueOf(): unknown }).valueOf() : value
}

function checkString(value: string, path: string, what: string): void {
  if (value.includes('\u0000')) throw new NotSerializableError(what, path, 'a string containing \\u0000 (Postgres jsonb refuses it)')
  if (!value.isWellFormed()) throw new NotSerializableError(what, path, 'a string with a lone UTF-16 surrogate')
}

function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}
