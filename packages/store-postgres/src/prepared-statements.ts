import { createHash } from 'node:crypto'
import pg from 'pg'

/**
 * Starts the text of a statement the store runs on every step or claim. On connections of a pool
 * the store creates, such statements are sent as named prepared statements: PostgreSQL parses
 * and plans each once per connection instead of at every execution (about half of the server's
 * time for these one-row statements). Only statements whose text is fixed carry it — a text
 * that varied would leave a prepared statement per variant on every connection.
 *
 * @internal
 */
export const PREPARED = '/* durable:prepared */'

/**
 * A `pg` Client class that sends statements starting with {@link PREPARED} as named prepared
 * statements (named by a hash of their text), and every other query as it is.
 *
 * @internal
 */
export class PreparingClient extends pg.Client {}

// One function for all of pg's overloads: what it does not prepare goes through unchanged. It
// looks pg's query up at each call, so whatever wraps it later (a tracer, the bench's counter)
// still sees every statement.
PreparingClient.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) {
  const call = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown
  if (typeof config === 'string' && config.startsWith(PREPARED) && typeof values !== 'function') {
    return call.call(this, { name: statementName(config), text: config, values }, callback)
  }
  return call.call(this, config, values, callback)
} as typeof pg.Client.prototype.query

const names = new Map<string, string>()

function statementName(text: string): string {
  let name = names.get(text)
  if (name === undefined) {
    name = `durable_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`
    names.set(text, name)
  }
  return name
}
