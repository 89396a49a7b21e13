import { describe, expect, it } from 'vitest'
import {
  defineWorkflow,
  describeValue,
  DurableError,
  isDurableError,
  NonRetryableError,
  NotSerializableError,
  RunNotActiveError,
  RunNotFoundError,
  toJsonText,
  toStepError,
  WorkflowNotRegisteredError,
} from '@durable/core'

describe('error classes', () => {
  it('gives DurableError a code, a message, a name and a cause', () => {
    const cause = new Error('socket closed')
    const error = new DurableError('STORE_UNAVAILABLE', 'cannot reach the database', { cause })
    expect(error).toBeInstanceOf(Error)
    expect(error).toMatchObject({ name: 'DurableError', code: 'STORE_UNAVAILABLE', message: 'cannot reach the database', cause })
  })

  it('gives RunNotFoundError its code and the run id, named in the message', () => {
    const error = new RunNotFoundError('r_42')
    expect(error).toBeInstanceOf(DurableError)
    expect(error).toMatchObject({ name: 'RunNotFoundError', code: 'RUN_NOT_FOUND', runId: 'r_42' })
    expect(error.message).toContain('run "r_42" was not found')
  })

  it('gives WorkflowNotRegisteredError the workflow name and lists the registered ones', () => {
    const error = new WorkflowNotRegisteredError('refund', ['checkout', 'signup'])
    expect(error).toMatchObject({ name: 'WorkflowNotRegisteredError', code: 'WORKFLOW_NOT_REGISTERED', workflowName: 'refund' })
    expect(error.message).toContain('workflow "refund" is not registered')
    expect(error.message).toContain('(registered: "checkout", "signup")')
    expect(new WorkflowNotRegisteredError('refund', []).message).not.toContain('(registered')
  })

  it('gives NonRetryableError the NON_RETRYABLE code and keeps its cause', () => {
    const cause = new Error('card declined')
    const error = new NonRetryableError('payment refused', { cause })
    expect(error).toBeInstanceOf(DurableError)
    expect(error).toMatchObject({ name: 'NonRetryableError', code: 'NON_RETRYABLE', message: 'payment refused', cause })
  })

  it('gives NotSerializableError the path and says what and where', () => {
    const error = new NotSerializableError('result of step "a"', '$.items[2]', 'a BigInt')
    expect(error).toMatchObject({ name: 'NotSerializableError', code: 'NOT_SERIALIZABLE', path: '$.items[2]' })
    expect(error.message).toBe('result of step "a" is not JSON-serializable at $.items[2]: a BigInt')
  })

  it('gives RunNotActiveError the run id, its status and the refused action', () => {
    const error = new RunNotActiveError('r_7', 'completed', 'signal')
    expect(error).toMatchObject({ name: 'RunNotActiveError', code: 'RUN_NOT_ACTIVE', runId: 'r_7', status: 'completed' })
    expect(error.message).toBe('cannot signal run "r_7": it is completed')
  })
})

describe('isDurableError', () => {
  it.each<[string, DurableError]>([
    ['DurableError', new DurableError('INVALID_INPUT', 'bad')],
    ['RunNotFoundError', new RunNotFoundError('r')],
    ['WorkflowNotRegisteredError', new WorkflowNotRegisteredError('w', [])],
    ['NonRetryableError', new NonRetryableError('no')],
    ['NotSerializableError', new NotSerializableError('x', '$', 'y')],
    ['RunNotActiveError', new RunNotActiveError('r', 'failed', 'cancel')],
  ])('recognises a %s', (_name, error) => {
    expect(isDurableError(error)).toBe(true)
    expect(isDurableError(error, error.code)).toBe(true)
  })

  it('checks the code when one is given', () => {
    const error = new RunNotFoundError('r')
    expect(isDurableError(error, 'RUN_NOT_FOUND')).toBe(true)
    expect(isDurableError(error, 'RUN_NOT_ACTIVE')).toBe(false)
  })

  it('recognises a plain Error with a durable code and a message, as a duplicate install would throw', () => {
    const error = Object.assign(new Error('run "r" was not found'), { code: 'RUN_NOT_FOUND' })
    expect(isDurableError(error)).toBe(true)
    expect(isDurableError(error, 'RUN_NOT_FOUND')).toBe(true)
  })

  it('recognises an error class from another copy of the package', () => {
    class OtherCopyError extends Error {
      readonly code = 'DUPLICATE_STEP'
    }
    expect(isDurableError(new OtherCopyError('twice'), 'DUPLICATE_STEP')).toBe(true)
  })

  it('does not count a plain object with a code and a message', () => {
    expect(isDurableError({ code: 'RUN_NOT_FOUND', message: 'run "r" was not found' })).toBe(false)
    expect(isDurableError({ code: 'RUN_NOT_FOUND', message: 'x' }, 'RUN_NOT_FOUND')).toBe(false)
  })

  it('does not count an Error whose code is not a durable code', () => {
    expect(isDurableError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false)
  })

  it('does not count an Error without a string code', () => {
    expect(isDurableError(new Error('plain'))).toBe(false)
    expect(isDurableError(Object.assign(new Error('numbered'), { code: 20 }))).toBe(false)
  })

  it.each([null, undefined, 'RUN_NOT_FOUND', 42, Symbol('e')])('does not count %s', (value) => {
    expect(isDurableError(value)).toBe(false)
  })
})

describe('toStepError', () => {
  it('records an Error’s name, message and stack, retryable', () => {
    const error = new TypeError('x is not a function')
    const recorded = toStepError(error)
    expect(recorded).toEqual({ name: 'TypeError', message: 'x is not a function', stack: error.stack, retryable: true })
    expect(recorded).not.toHaveProperty('code')
  })

  it('keeps a string code, such as a Node system error’s', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(toStepError(error)).toMatchObject({ code: 'ECONNREFUSED', retryable: true })
  })

  it('drops a numeric code, such as DOMException’s', () => {
    const recorded = toStepError(new DOMException('the operation was aborted', 'AbortError'))
    expect(recorded).toMatchObject({ name: 'AbortError', message: 'the operation was aborted', retryable: true })
    expect(recorded).not.toHaveProperty('code')
  })

  it('marks a NonRetryableError as not retryable', () => {
    expect(toStepError(new NonRetryableError('card declined'))).toMatchObject({
      name: 'NonRetryableError',
      message: 'card declined',
      code: 'NON_RETRYABLE',
      retryable: false,
    })
  })

  it('marks any Error with the NON_RETRYABLE code as not retryable, whatever its class', () => {
    expect(toStepError(Object.assign(new Error('no'), { code: 'NON_RETRYABLE' })).retryable).toBe(false)
  })

  it('keeps other durable errors retryable, with their code', () => {
    expect(toStepError(new DurableError('STEP_TIMEOUT', 'took too long'))).toMatchObject({ code: 'STEP_TIMEOUT', retryable: true })
  })

  it('uses a thrown string as the message', () => {
    expect(toStepError('out of stock')).toEqual({ name: 'Error', message: 'out of stock', retryable: true })
  })

  it.each<[string, unknown, string]>([
    ['a number', 42, 'non-error thrown: 42'],
    ['null', null, 'non-error thrown: null'],
    ['undefined', undefined, 'non-error thrown: undefined'],
    ['a plain object', { reason: 'sold out' }, 'non-error thrown: {"reason":"sold out"}'],
    ['a BigInt', 10n, 'non-error thrown: 10'],
    ['a symbol', Symbol('stop'), 'non-error thrown: Symbol(stop)'],
  ])('describes %s', (_label, thrown, message) => {
    expect(toStepError(thrown)).toEqual({ name: 'Error', message, retryable: true })
  })

  it('describes a circular object without throwing', () => {
    const thrown: Record<string, unknown> = {}
    thrown['self'] = thrown
    expect(toStepError(thrown).message).toBe('non-error thrown: [object Object]')
  })

  it('never throws, even for a circular object that cannot become a string', () => {
    const thrown = Object.create(null) as Record<string, unknown>
    thrown['self'] = thrown
    expect(toStepError(thrown)).toMatchObject({ name: 'Error', retryable: true })
    expect(toStepError(thrown).message).toMatch(/^non-error thrown: /)
  })

  it.each<[string, unknown]>([
    ['an Error whose message holds \\u0000', new Error('bad\u0000byte')],
    ['an Error whose message holds a lone surrogate', new Error('half \ud83d emoji')],
    ['a thrown string holding \\u0000', 'nul\u0000'],
    ['an Error with a code holding \\u0000', Object.assign(new Error('x'), { code: 'E\u0000' })],
  ])('gives a failure the journal can store for %s', (_label, thrown) => {
    const recorded = toStepError(thrown)
    expect(() => toJsonText(recorded, 'step error')).not.toThrow()
    expect(JSON.stringify(recorded)).toContain('\uFFFD')
  })

  it('keeps a message that is already storable unchanged', () => {
    expect(toStepError(new Error('héllo 😀')).message).toBe('héllo 😀')
  })
})

describe('describeValue', () => {
  it('describes any value without throwing', () => {
    const nullProto = Object.create(null) as object
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect([10n, Symbol('s'), nullProto, circular, [1], null, undefined, () => 1, 'x'.repeat(70), 3.5, NaN].map(describeValue)).toEqual([
      '10n',
      'a symbol',
      'an object',
      'an object',
      'an array',
      'null',
      'undefined',
      'a function',
      `"${'x'.repeat(60)}…"`,
      '3.5',
      'NaN',
    ])
    expect(() => defineWorkflow(10n as never)).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION', message: 'a workflow name must be a non-empty string, got 10n' }))
    expect(() => defineWorkflow('w').step('s', async () => 1, { maxAttempts: nullProto as never })).toThrow(expect.objectContaining({ code: 'INVALID_DEFINITION' }))
  })
})
