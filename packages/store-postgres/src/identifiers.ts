import { DurableError } from '@durable/core'

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/**
 * Checks a schema name: a letter or `_`, then up to 62 letters, digits or `_`. Anything else is
 * refused rather than quoted, so the name reads the same in SQL, in logs and in `psql`.
 *
 * @internal
 */
export function assertSchemaName(schema: unknown): asserts schema is string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new DurableError('INVALID_INPUT', `invalid schema name ${describe(schema)}: use a letter or "_" followed by up to 62 letters, digits or "_" (e.g. "durable")`)
  }
}

/**
 * Checks a LISTEN/NOTIFY channel name: 1 to 63 bytes (Postgres truncates longer identifiers, so
 * `pg_notify` would not reach the listener), no `"` and no NUL.
 *
 * @internal
 */
export function assertChannelName(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || channel.length === 0 || Buffer.byteLength(channel) > 63 || channel.includes('"') || channel.includes('\u0000')) {
    throw new DurableError('INVALID_INPUT', `invalid channel name ${describe(channel)}: use 1 to 63 bytes without '"' or NUL`)
  }
}

/**
 * Checks a name the store keeps as text (a signal's name): PostgreSQL refuses `\u0000`, and
 * would silently store a lone UTF-16 surrogate as U+FFFD — a different name. Refuse both.
 *
 * @internal
 */
export function assertStorableText(value: string, what: string): void {
  if (value.includes('\u0000') || !value.isWellFormed()) {
    throw new DurableError('INVALID_INPUT', `${what} contains \\u0000 or a lone surrogate, which PostgreSQL cannot store as given`)
  }
}

/**
 * Quotes a Postgres identifier: `a"b` becomes `"a""b"`. Quoted names keep their case, so
 * `LISTEN "Jobs"` hears `pg_notify('Jobs', …)`.
 *
 * @internal
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `of type ${value === null ? 'null' : typeof value}`
}
