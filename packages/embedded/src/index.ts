/**
 * `@durable/embedded`: zero-setup durable workflows. PGlite runs Postgres inside this process,
 * so `npm install` is all the setup there is; move to `@durable/store-postgres` on a real
 * server when several processes must share the runs.
 *
 * ```ts
 * const durable = embeddedDurable({ workflows: [checkout], dataDir: '.durable' })
 * ```
 *
 * @packageDocumentation
 */
export { embeddedDurable } from './embedded-durable.js'
export type { EmbeddedDurableOptions } from './embedded-durable.js'
