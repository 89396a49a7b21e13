import { sql, type RawBuilder } from 'kysely'

/**
 * A SQL fragment that turns JSON text into a `jsonb` value: `cast(cast($1 as text) as jsonb)`.
 *
 * Always pass JSON to Postgres this way. Drivers serialize a parameter by the type the server
 * infers for it, and a driver that JSON-encodes whatever it sends to a `jsonb` parameter would
 * store a JSON text double-encoded (`"{\"a\":1}"`). PGlite serializes by inferred type (0.5
 * passes strings through; do not rely on it), and `pg` sends a bare parameter as `text` where no
 * type is inferred. Casting from `text` makes every driver send the text as it is and lets
 * Postgres parse it.
 * `null` yields SQL `NULL`.
 *
 * ### Example
 * ```ts
 * await sql`insert into ${sql.id(store.schema, 'jobs')} (payload) values (${jsonb('{"a":1}')})`.execute(store.db)
 * ```
 */
export function jsonb(text: string | null): RawBuilder<unknown> {
  return sql`cast(cast(${text} as text) as jsonb)`
}
