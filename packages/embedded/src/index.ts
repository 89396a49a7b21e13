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
export { dataDirOwner } from './data-dir-owner.js'
export type { DataDirOwner } from './data-dir-owner.js'
// The type of `ctx.tx` here; re-exporting it also brings store-postgres's declaration of it into
// every compilation that imports this package, so `ctx.tx` is typed without importing that package.
export type { PostgresTransaction } from '@durable/store-postgres'
