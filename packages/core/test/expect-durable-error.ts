import { expect } from 'vitest'
import { DurableError, type ErrorCode } from '@durable/core'

/** Calls `fn` and returns what it threw; fails the test when it returns normally. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to throw, but it returned normally')
}

/** Asserts that `fn` throws a `DurableError` with `code` and, if given, a message matching `message`. */
export function expectDurableError(fn: () => unknown, code: ErrorCode, message?: RegExp | string): DurableError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(DurableError)
  expect(error).toMatchObject({ code })
  if (message !== undefined) expect((error as Error).message).toMatch(message)
  return error as DurableError
}
