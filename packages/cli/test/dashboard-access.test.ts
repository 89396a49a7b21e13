import { describe, expect, it } from 'vitest'
import { authorizeChange, bearerToken, tokensMatch } from '../src/dashboard/access-token.ts'
import { hostAllowed, isLoopback } from '../src/dashboard/allowed-hosts.ts'

describe('the dashboard token', () => {
  it('matches only the same text, whatever the lengths', () => {
    expect(tokensMatch('s3cret-token', 's3cret-token')).toBe(true)
    expect(tokensMatch('s3cret-token', 's3cret-tokeN')).toBe(false)
    expect(tokensMatch('s3cret', 's3cret-token')).toBe(false)
    expect(tokensMatch('', 's3cret-token')).toBe(false)
  })

  it('is read from "Authorization: Bearer <token>" only', () => {
    expect(bearerToken('Bearer abc123')).toBe('abc123')
    expect(bearerToken('bearer abc123')).toBe('abc123')
    expect(bearerToken('Basic YWxhZGRpbjpvcGVu')).toBeUndefined()
    expect(bearerToken('Bearer ')).toBeUndefined()
    expect(bearerToken('Bearer a b')).toBeUndefined()
    expect(bearerToken(undefined)).toBeUndefined()
  })

  it('lets a change through with the token; refuses it without (401), wrong (401) or read-only (403)', () => {
    expect(() => authorizeChange('Bearer right', 'right')).not.toThrow()
    expect(() => authorizeChange(undefined, 'right')).toThrow(expect.objectContaining({ status: 401, code: 'UNAUTHORIZED' }))
    expect(() => authorizeChange('Bearer wrong', 'right')).toThrow(expect.objectContaining({ status: 401, code: 'UNAUTHORIZED' }))
    expect(() => authorizeChange('Bearer right', undefined)).toThrow(expect.objectContaining({ status: 403, code: 'READ_ONLY' }))
  })
})

describe('the Host check', () => {
  it('knows the loopback names', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'app.localhost', '::1', '[::1]']) expect(isLoopback(host)).toBe(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.example.com']) expect(isLoopback(host)).toBe(false)
  })

  it('answers a loopback-bound dashboard only for loopback hosts, and anyone when bound to the network', () => {
    expect(hostAllowed('127.0.0.1:4280', '127.0.0.1')).toBe(true)
    expect(hostAllowed('localhost:8080', '127.0.0.1')).toBe(true) // an SSH tunnel
    expect(hostAllowed('[::1]:4280', '::1')).toBe(true)
    expect(hostAllowed('evil.example:4280', '127.0.0.1')).toBe(false)
    expect(hostAllowed('127.0.0.1.evil.example', '127.0.0.1')).toBe(false)
    expect(hostAllowed(undefined, '127.0.0.1')).toBe(false)
    expect(hostAllowed('dashboard.internal:4280', '0.0.0.0')).toBe(true)
  })
})
