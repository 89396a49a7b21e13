import { DurableError } from '@durable/core'

/** A letter or `_`, then up to 62 letters, digits or `_`: Postgres silently truncates longer names. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Returns `value` if it is a plain SQL identifier, else throws `INVALID_INPUT`. Names are also
 * quoted wherever they reach SQL; refusing odd names up front (spaces, quotes, 64+ characters)
 * keeps them reading the same in SQL, in logs and in `psql`, as the store does.
 *
 * @internal
 */
export function assertIdentifier(kind: 'schema' | 'channel', value: unknown): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : `of type ${value === null ? 'null' : typeof value}`
    throw new DurableError('INVALID_INPUT', `postgresQueue: invalid ${kind} name ${shown}: use a letter or "_" followed by up to 62 letters, digits or "_"`)
  }
  return value
}
