import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DEFAULT_MAX_PAYLOAD_BYTES, MAX_JSON_DEPTH, NotSerializableError, toJsonText } from '@durable/core'
import { expectDurableError } from './expect-durable-error.js'

const WHAT = 'input of "checkout"'

/** `levels` arrays nested in one another around a number: `[[[1]]]` for 3. */
function nestedArrays(levels: number): unknown {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

/** Asserts that `value` is refused with NOT_SERIALIZABLE at `path`, named in the message. */
function expectRefusedAt(value: unknown, path: string, reason?: RegExp): void {
  const error = expectDurableError(() => toJsonText(value, WHAT), 'NOT_SERIALIZABLE')
  expect(error).toBeInstanceOf(NotSerializableError)
  expect(error).toMatchObject({ path })
  expect(error.message).toContain(`${WHAT} is not JSON-serializable at ${path}`)
  if (reason !== undefined) expect(error.message).toMatch(reason)
}

describe('toJsonText accepts', () => {
  it('plain data, written as JSON.stringify writes it', () => {
    const value = { sku: 'A1', qty: 2, price: -0.5, tags: ['a', 'b'], ok: true, none: null, nested: { list: [[], {}] } }
    expect(toJsonText(value, WHAT)).toBe(JSON.stringify(value))
  })

  it('primitives at the top level', () => {
    expect([toJsonText('x', WHAT), toJsonText(3, WHAT), toJsonText(false, WHAT), toJsonText(null, WHAT)]).toEqual(['"x"', '3', 'false', 'null'])
  })

  it('Dates, as ISO strings', () => {
    const when = new Date('2024-01-02T03:04:05.678Z')
    expect(toJsonText({ when, list: [when] }, WHAT)).toBe('{"when":"2024-01-02T03:04:05.678Z","list":["2024-01-02T03:04:05.678Z"]}')
  })

  it('the same object twice in a tree, when it is not circular', () => {
    const shared = { id: 1, tags: ['x'] }
    const value = { a: shared, b: shared, list: [shared, shared.tags, shared], deep: { again: { shared } } }
    expect(JSON.parse(toJsonText(value, WHAT))).toEqual(value)
  })

  it('an object whose own toJSON returns data', () => {
    const money = { cents: 150, toJSON: () => '1.50 EUR' }
    expect(toJsonText({ money }, WHAT)).toBe('{"money":"1.50 EUR"}')
  })

  it('unicode and emoji in values and keys', () => {
    const value = { 'clé 🔑': 'héllo wörld 😀 中文 👩‍👩‍👧', مرحبا: ['ℵ', '\u{10FFFF}'] }
    expect(JSON.parse(toJsonText(value, WHAT))).toEqual(value)
  })

  it('a top-level undefined, as null', () => {
    expect(toJsonText(undefined, WHAT)).toBe('null')
  })

  it('boxed primitives, as the primitive JSON.stringify writes', () => {
    expect(toJsonText([Object('s'), Object(2), Object(true)], WHAT)).toBe('["s",2,true]')
  })

  it('undefined object properties, dropping them as JSON.stringify does', () => {
    expect(toJsonText({ a: 1, b: undefined }, WHAT)).toBe('{"a":1}')
  })

  it('nesting down to MAX_JSON_DEPTH levels', () => {
    expect(toJsonText(nestedArrays(MAX_JSON_DEPTH), WHAT)).toBe(`${'['.repeat(MAX_JSON_DEPTH)}1${']'.repeat(MAX_JSON_DEPTH)}`)
  })

  it('a wide array of 100,000 shared elements', () => {
    const shared = { x: 1 }
    expect(toJsonText(new Array(100_000).fill(shared), WHAT)).toHaveLength(100_000 * 8 + 1)
  })
})

describe('toJsonText refuses with NOT_SERIALIZABLE and the path', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['a BigInt', { order: { total: 10n } }, '$.order.total', /BigInt/],
    ['a function', { handler: () => 1 }, '$.handler', /function/],
    ['a symbol', { tag: Symbol('t') }, '$.tag', /symbol/],
    ['a Map', { index: new Map([['a', 1]]) }, '$.index', /Map/],
    ['a Set', { list: [1, new Set([1])] }, '$.list[1]', /Set/],
    ['a Uint8Array', { bytes: new Uint8Array(2) }, '$.bytes', /typed array/],
    ['a Float64Array', [new Float64Array(1)], '$[0]', /typed array/],
    ['a Buffer (not its toJSON form)', { file: Buffer.from('x') }, '$.file', /typed array/],
    ['a DataView', { view: new DataView(new ArrayBuffer(1)) }, '$.view', /DataView/],
    ['an ArrayBuffer', { raw: new ArrayBuffer(1) }, '$.raw', /ArrayBuffer/],
    ['NaN', { ratio: Number.NaN }, '$.ratio', /NaN/],
    ['Infinity', { limit: Number.POSITIVE_INFINITY }, '$.limit', /Infinity/],
    ['-Infinity', [[0, Number.NEGATIVE_INFINITY]], '$[0][1]', /-Infinity/],
    ['\\u0000 in a value', { name: 'a\u0000b' }, '$.name', /\\u0000/],
    ['a lone high surrogate', { name: 'x\ud83dy' }, '$.name', /surrogate/],
    ['a lone low surrogate', ['\ude00'], '$[0]', /surrogate/],
    ['undefined inside an array', { list: [1, undefined, 3] }, '$.list[1]', /undefined inside an array/],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the case under test
    ['a hole in a sparse array', { list: [1, , 3] }, '$.list[1]', /undefined/],
    ['an invalid Date', { when: new Date('not a date') }, '$.when', /invalid Date/],
    ['a Promise', { pending: Promise.resolve(1) }, '$.pending', /Promise/],
    ['a RegExp', { pattern: /a+/ }, '$.pattern', /RegExp/],
    ['an Error', { failure: new Error('boom') }, '$.failure', /Error/],
    ['a WeakMap', { cache: new WeakMap() }, '$.cache', /WeakMap/],
    ['a top-level BigInt', 1n, '$', /BigInt/],
    ['a top-level function', () => 1, '$', /function/],
  ])('%s', (_label, value, path, reason) => {
    expectRefusedAt(value, path, reason)
  })

  it('\\u0000 in a key, naming the object that holds it', () => {
    expectRefusedAt({ nested: { 'bad\u0000key': 1 } }, '$.nested (key)', /\\u0000/)
  })

  it('a lone surrogate in a key', () => {
    expectRefusedAt({ ['\ud800']: 1 }, '$ (key)', /surrogate/)
  })

  it('an object that contains itself', () => {
    const order: Record<string, unknown> = { id: 1 }
    order['self'] = order
    expectRefusedAt(order, '$.self', /circular/)
  })

  it('a cycle several levels deep, through arrays', () => {
    const root: { items: Array<{ parent?: unknown }> } = { items: [{}, {}] }
    root.items[1]!.parent = root
    expectRefusedAt(root, '$.items[1].parent', /circular/)
  })

  it('an array that contains itself', () => {
    const list: unknown[] = [1]
    list.push(list)
    expectRefusedAt(list, '$[1]', /circular/)
  })

  it('a value that toJSON turns into something JSON cannot hold', () => {
    expectRefusedAt({ amount: { toJSON: () => 10n } }, '$.amount', /BigInt/)
  })

  it('boxed primitives whose primitive JSON cannot hold', () => {
    expectRefusedAt({ n: Object(Number.NaN) }, '$.n', /NaN/)
    expectRefusedAt({ n: Object(10n) }, '$.n', /BigInt/)
  })

  it('one level deeper than MAX_JSON_DEPTH', () => {
    expectRefusedAt(nestedArrays(MAX_JSON_DEPTH + 1), `$${'[0]'.repeat(MAX_JSON_DEPTH)}`, /deeper than 256/)
  })

  it('10,000-deep nesting without overflowing the stack', () => {
    let value: Record<string, unknown> = {}
    for (let i = 0; i < 10_000; i++) value = { next: value }
    expectDurableError(() => toJsonText(value, WHAT), 'NOT_SERIALIZABLE', /nested deeper than 256 levels/)
    expectDurableError(() => toJsonText(nestedArrays(1_000_000), WHAT), 'NOT_SERIALIZABLE', /nested deeper/)
  })
})

describe('toJsonText payload size', () => {
  it('accepts a payload of exactly maxBytes and refuses one byte more with PAYLOAD_TOO_LARGE', () => {
    expect(toJsonText('x'.repeat(8), WHAT, 10)).toBe(`"${'x'.repeat(8)}"`)
    const error = expectDurableError(() => toJsonText('x'.repeat(9), WHAT, 10), 'PAYLOAD_TOO_LARGE')
    expect(error.message).toContain(`${WHAT} is 11 bytes of JSON, over the limit of 10 bytes`)
  })

  it.each<[string, string, number]>([
    ['é (2 bytes)', 'éé', 6],
    ['€ (3 bytes)', '€€', 8],
    ['😀 (4 bytes, two UTF-16 units)', '😀😀', 10],
  ])('counts %s as UTF-8 bytes, not string length', (_label, text, bytes) => {
    expect(toJsonText(text, WHAT, bytes)).toBe(`"${text}"`)
    expectDurableError(() => toJsonText(text, WHAT, bytes - 1), 'PAYLOAD_TOO_LARGE', new RegExp(`is ${bytes} bytes`))
  })

  it('agrees with Buffer.byteLength on any well-formed string', () => {
    // Every code point but U+0000 and the lone surrogates: 1 to 4 UTF-8 bytes each.
    const codePoint = fc.oneof(fc.integer({ min: 1, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }))
    const text = fc.array(codePoint, { maxLength: 40 }).map((points) => String.fromCodePoint(...points))
    fc.assert(
      fc.property(text, (s) => {
        const bytes = Buffer.byteLength(JSON.stringify({ s }))
        expect(toJsonText({ s }, WHAT, bytes)).toBe(JSON.stringify({ s }))
        expectDurableError(() => toJsonText({ s }, WHAT, bytes - 1), 'PAYLOAD_TOO_LARGE')
      }),
      { seed: 20_240_101, numRuns: 300 },
    )
  })

  it('uses a 4 MiB limit by default', () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(4 * 1024 * 1024)
    expect(toJsonText('a'.repeat(DEFAULT_MAX_PAYLOAD_BYTES - 2), WHAT)).toHaveLength(DEFAULT_MAX_PAYLOAD_BYTES)
    expectDurableError(() => toJsonText('a'.repeat(DEFAULT_MAX_PAYLOAD_BYTES - 1), WHAT), 'PAYLOAD_TOO_LARGE')
  })

  it('checks serializability before size, so an oversized bad payload says what is wrong', () => {
    expectDurableError(() => toJsonText({ big: 'x'.repeat(100), bad: 1n }, WHAT, 10), 'NOT_SERIALIZABLE')
  })
})
