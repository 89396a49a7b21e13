import { describe, expect, it } from 'vitest'
import { locateJsonError, parseJsonArgument } from '../src/json-argument.ts'

describe('the JSON of a command-line argument', () => {
  it('parses valid JSON as JSON.parse does', () => {
    for (const text of ['null', '0', '-1.5e3', '"a\\u00e9\\n"', '[]', '{}', ' { "a" : [1, true, null, {"b": "c"}] } ']) {
      expect(parseJsonArgument(text, 'payload', 'signal')).toEqual(JSON.parse(text))
      expect(locateJsonError(text)).toBeUndefined()
    }
  })

  it('finds where malformed JSON breaks, where JSON.parse says too, and where it does not', () => {
    const cases: Array<[string, number]> = [
      ['{x', 1],
      ['abc', 0],
      ['{"a":1', 6],
      ['[1,]', 3],
      ['{"a":1}x', 7],
      ['"a\u0001"', 2],
      ['tru', 3],
      ['trux', 3],
      ['1.', 2],
      ['-', 1],
      ['01', 1],
      ['"\\q"', 2],
      ['"\\u12g4"', 5],
      ['[1 2]', 3],
      ['{"a" 1}', 5],
      ['{"a":1,}', 7],
      ['  ', 2],
      ['[[[', 3],
      ['1e', 2],
      ['"abc', 4],
      ["{'a':1}", 1],
      ['NaN', 0],
      ['[Infinity]', 1],
    ]
    for (const [text, at] of cases) {
      expect([text, locateJsonError(text)]).toEqual([text, at])
      let message = ''
      try {
        JSON.parse(text)
      } catch (error) {
        message = (error as Error).message
      }
      const v8 = /at position (\d+)/.exec(message)?.[1]
      if (v8 !== undefined) expect([text, Number(v8)]).toEqual([text, at])
    }
  })

  it('falls back to JSON.parse for nesting too deep to scan', () => {
    const deep = `${'['.repeat(200_000)}x`
    expect(() => parseJsonArgument(deep, 'payload', 'signal')).toThrow(/^payload is not valid JSON: /)
  })
})
