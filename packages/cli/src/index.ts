/**
 * `@durable/cli`: the `durable` command. It reads runs and journals from PostgreSQL
 * (`DATABASE_URL` or `--database-url`) or from an embedded PGlite data directory
 * (`--data-dir`, default `.durable`), migrates the tables, signals, cancels and retries runs, and
 * serves a web dashboard of them.
 *
 * ```sh
 * durable migrate
 * durable runs list --status failed
 * durable runs show 01JD2Q7ZK4X8M3VYB5N6P0R2ST --json
 * durable signal 01JD2Q7ZK4X8M3VYB5N6P0R2ST approved '{"by":"ann"}'
 * durable cancel 01JD2Q7ZK4X8M3VYB5N6P0R2ST --reason "customer asked"
 * durable cancel --workflow checkout --status waiting --yes
 * durable retry 01JD2Q7ZK4X8M3VYB5N6P0R2ST
 * durable retry --status failed --workflow checkout
 * DURABLE_DASHBOARD_TOKEN=$(openssl rand -hex 16) durable dashboard   # http://127.0.0.1:4280
 * ```
 *
 * `runCli` runs the same command line in-process, for scripts and tests.
 *
 * @packageDocumentation
 */
export { runCli, COMMANDS } from './cli.js'
export type { CliIo } from './cli.js'
export type { Command, CommandContext, ConnectOptions, FlagOptions, FlagValues } from './command.js'
