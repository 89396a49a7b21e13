import { LIVE_OWNER_MARK } from '@durable/core'
import { sql, type RawBuilder } from 'kysely'

/**
 * The seed of the advisory-lock key of a worker's liveness: `hashtextextended(owner, seed)`, a
 * 64-bit key, so that two workers' keys practically never collide (the 32-bit `hashtext` would,
 * once in a million for a fleet of a hundred workers), and a fixed seed of our own, so that they
 * do not collide with the advisory locks of other software in the same database either.
 *
 * @internal
 */
export const LIVENESS_SEED = '7146283910'

/** The advisory-lock key of the lease owner `owner` (an SQL text expression). @internal */
function livenessKey(owner: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`hashtextextended(${owner}, ${sql.raw(LIVENESS_SEED)})`
}

/**
 * True when the lease owner `owner` (an SQL text expression) held liveness and is dead: its
 * session-level advisory lock is free. Asked only of owners that say they hold liveness (their
 * id ends with `LIVE_OWNER_MARK`) and are not `self`: any other owner keeps its lease until the
 * lease expires.
 *
 * The test takes the lock SHARED and for the transaction only: it fails at once while the
 * owner's session holds it exclusively, and when the owner is dead several claimers may test it
 * at once without failing each other (an exclusive try would make all but one of them see the
 * dead owner alive). The shared lock goes at the end of the statement's transaction. A CASE, not
 * AND/OR, so that the lock is only tried when the cheap tests pass: PostgreSQL does not promise
 * the order in which it evaluates the arms of AND and OR.
 *
 * @internal
 */
export function leaseHolderDead(owner: RawBuilder<unknown>, self?: string): RawBuilder<unknown> {
  const notSelf = self === undefined ? sql`` : sql`WHEN ${owner} = cast(${self} AS text) THEN false `
  return sql`(CASE WHEN ${owner} IS NULL THEN false ${notSelf}WHEN right(${owner}, ${sql.lit(LIVE_OWNER_MARK.length)}) <> ${sql.lit(LIVE_OWNER_MARK)} THEN false
    ELSE pg_try_advisory_xact_lock_shared(${livenessKey(owner)}) END)`
}
