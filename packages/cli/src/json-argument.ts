import { UsageError } from './cli-error.js'

/**
 * Parses a JSON value given on the command line (`durable signal <id> <name> '{"ok":true}'`).
 * Malformed JSON is a usage error that names where it breaks — position (0-based), line and
 * column — since `JSON.parse` does not always say.
 *
 * @param what - the argument in words, for the message: `payload`.
 * @param command - the command whose `--help` to point at.
 */
export function parseJsonArgument(text: string, what: string, command: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    if (text.trim() === '') throw new UsageError(`${what} is empty: pass a JSON value, or leave it out to send null`, command)
    throw new UsageError(`${what} is not valid JSON: ${whereJsonBreaks(text, error)} (quote it for the shell, e.g. '{"by":"ann"}', or '"text"' for a string)`, command)
  }
}

/**
 * Where `text` stops being JSON, in words: `unexpected "x" at position 4 (line 1, column 5)`, or
 * `it ends too early, at position 6 …`; `error` (what `JSON.parse` threw) says it otherwise.
 */
export function whereJsonBreaks(text: string, error: unknown): string {
  const at = locateJsonError(text)
  if (at !== undefined) return describeError(text, at)
  return error instanceof Error ? error.message : String(error)
}

/** `unexpected "x" at position 4 (line 1, column 5)`, or `it ends too early, at position 6 …`. */
function describeError(text: string, at: number): string {
  const before = text.slice(0, at).split('\n')
  const place = `at position ${at} (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`
  if (at >= text.length) return `it ends too early, ${place}`
  const char = String.fromCodePoint(text.codePointAt(at) ?? 0)
  return `unexpected ${JSON.stringify(char)} ${place}`
}

/** Thrown inside the scanner: where the text stops being JSON. */
class SyntaxAt {
  constructor(readonly at: number) {}
}

/**
 * The index of the first character that makes `text` invalid JSON (RFC 8259), `text.length` when
 * it ends too early, or `undefined` when it is valid after all.
 */
export function locateJsonError(text: string): number | undefined {
  let i = 0
  const fail = (at: number): never => {
    throw new SyntaxAt(at)
  }
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'
  const skipSpace = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++
  }
  const digits = () => {
    if (!isDigit(text[i])) fail(i)
    while (isDigit(text[i])) i++
  }
  const number = () => {
    if (text[i] === '-') i++
    if (text[i] === '0') i++
    else digits()
    if (text[i] === '.') {
      i++
      digits()
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++
      if (text[i] === '+' || text[i] === '-') i++
      digits()
    }
  }
  const string = () => {
    i++ // the opening quote
    for (;;) {
      if (i >= text.length) fail(i)
      const c = text[i] as string
      if (c === '"') {
        i++
        return
      }
      if (c < ' ') fail(i)
      if (c !== '\\') {
        i++
        continue
      }
      i++
      const escape = text[i]
      if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i++
      else if (escape === 'u') {
        i++
        for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail(i)
      } else fail(i)
    }
  }
  const literal = (word: string) => {
    for (const expected of word) {
      if (text[i] !== expected) fail(i)
      i++
    }
  }
  const members = (close: string, member: () => void) => {
    i++ // the opening bracket
    skipSpace()
    if (text[i] === close) {
      i++
      return
    }
    for (;;) {
      member()
      skipSpace()
      if (text[i] === close) {
        i++
        return
      }
      if (text[i] !== ',') fail(i)
      i++
    }
  }
  const value = (): void => {
    skipSpace()
    const c = text[i]
    if (c === '{') {
      members('}', () => {
        skipSpace()
        if (text[i] !== '"') fail(i)
        string()
        skipSpace()
        if (text[i] !== ':') fail(i)
        i++
        value()
      })
    } else if (c === '[') members(']', value)
    else if (c === '"') string()
    else if (c === '-' || isDigit(c)) number()
    else if (c === 't') literal('true')
    else if (c === 'f') literal('false')
    else if (c === 'n') literal('null')
    else fail(i)
  }
  try {
    value()
    skipSpace()
    if (i < text.length) fail(i)
    return undefined
  } catch (error) {
    if (error instanceof SyntaxAt) return Math.min(error.at, text.length)
    // Nesting too deep for this scanner's stack: the caller falls back to JSON.parse's message.
    if (error instanceof RangeError) return undefined
    throw error
  }
}
