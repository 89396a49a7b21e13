import { createHash, timingSafeEqual } from 'node:crypto'
import { ApiError } from './api-error.js'

/**
 * True when `given` is the dashboard's token. Compared in constant time: both sides are hashed
 * first, so `timingSafeEqual` gets equal lengths and the time leaks neither the token's length
 * nor how much of it a guess got right.
 */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1]
}

/**
 * Lets a request that changes a run through, or throws: 403 `READ_ONLY` when the dashboard was
 * started without a token, 401 `UNAUTHORIZED` when the request has none or the wrong one.
 */
export function authorizeChange(authorization: string | undefined, token: string | undefined): void {
  if (token === undefined) {
    throw new ApiError(403, 'READ_ONLY', 'this dashboard is read-only: restart it with --token (or DURABLE_DASHBOARD_TOKEN) to signal, cancel and retry runs')
  }
  const given = bearerToken(authorization)
  if (given === undefined) {
    throw new ApiError(401, 'UNAUTHORIZED', 'signal, cancel and retry need the dashboard token: enter it in the page, or send "Authorization: Bearer <token>"')
  }
  if (!tokensMatch(given, token)) throw new ApiError(401, 'UNAUTHORIZED', 'wrong dashboard token: use the one the dashboard was started with (--token or DURABLE_DASHBOARD_TOKEN)')
}
