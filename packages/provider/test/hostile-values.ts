/**
 * Hostile values for the fuzz tests: strings that break naive SQL, JSON or text handling, values
 * JSON cannot hold, and a way to call the API that tells a clean refusal from anything else.
 */
import { isDurableError } from '@durable/core'
import fc from 'fast-check'

/** Strings worth trying by hand, then random ones of every kind. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "'",
    '"',
    "'; DROP TABLE durable.runs; --",
    "Robert'); DROP TABLE runs;--",
    '$1',
    '%',
    '_',
    '\\',
    '\\x00',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    'ünïcødé 🚀 𝕏 中文',
    '\u202e\u200b\ufeff',
    '\n\r\t',
    ' ',
    '',
    '__proto__',
    'constructor',
    '01J00000000000000000000000',
    'x'.repeat(101),
    'x'.repeat(201),
    'é'.repeat(10_000),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 95, maxLength: 520 }),
)

/** Anything at all: hostile strings, non-strings, and the values JSON cannot hold. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.constantFrom(undefined, null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 10n, Symbol('s'), () => 1, {}, [], new Date(Number.NaN), true),
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
    maxDepth: 3,
  }),
)

/** Payloads: valid JSON (with hostile strings in it) or anything. */
export const hostilePayload: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(hostileText, fc.oneof(hostileText, fc.double(), fc.integer())),
  fc.array(hostileText, { maxLength: 5 }),
  hostileValue,
)

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: string }

/**
 * Calls `call` and says how it ended: its value, or the `code` of the `DurableError` it threw.
 * Anything else — a raw driver error, a TypeError, a call that hangs for `hangMs` — fails the
 * test with what happened.
 */
export async function outcomeOf<T>(label: string, call: () => Promise<T> | T, hangMs = 15_000): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), hangMs)))
  let settled: { value: T } | 'hang'
  try {
    settled = await Promise.race([
      Promise.resolve()
        .then(call)
        .then((value) => ({ value })),
      hang,
    ])
  } catch (error) {
    if (isDurableError(error)) return { ok: false, code: error.code }
    throw new Error(`${label} threw something other than a DurableError: ${String(error)}`, { cause: error })
  } finally {
    clearTimeout(timer)
  }
  if (settled === 'hang') throw new Error(`${label} hung for ${hangMs} ms`)
  return { ok: true, value: settled.value }
}

/** A short, printable description of a hostile value for failure messages. */
export function show(value: unknown): string {
  try {
    const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value)
    return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} chars)` : text
  } catch {
    return Object.prototype.toString.call(value)
  }
}
