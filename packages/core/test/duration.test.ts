import { describe, expect, it } from 'vitest'
import { isDurableError, parseDuration } from '@durable/core'

describe('parseDuration', () => {
  it('reads milliseconds and unit strings', () => {
    expect(parseDuration(250)).toBe(250)
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('5s')).toBe(5_000)
    expect(parseDuration('10m')).toBe(600_000)
    expect(parseDuration('2h')).toBe(7_200_000)
    expect(parseDuration('7d')).toBe(604_800_000)
    expect(parseDuration('1.5s')).toBe(1_500)
    expect(parseDuration('0s')).toBe(0)
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, '', 'soon', '5 weeks', '-5s', '5', null, undefined, {}, 10n])('refuses %s with INVALID_DEFINITION', (bad) => {
    let thrown: unknown
    try {
      parseDuration(bad)
    } catch (error) {
      thrown = error
    }
    expect(isDurableError(thrown, 'INVALID_DEFINITION')).toBe(true)
  })

  it('uses the code it is given, for calls such as waitFor', () => {
    expect(() => parseDuration('later', 'timeout', 'INVALID_INPUT')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
