/**
 * The packages as a user gets them: every published package is packed, and the tarballs are
 * installed with npm into a fresh app in a temporary folder outside this workspace (third-party
 * dependencies come from the registry, or npm's cache). The app (`packed-app/`) is type-checked
 * under `nodenext` and `bundler` resolution, strict and without `skipLibCheck`, and its workflows
 * run on the embedded default, on the test PostgreSQL server and under `testDurable`.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../database.ts'
import { packWorkspaces } from '../src/check-packages.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- package.json fields of any shape
const manifest = (folder: string) => JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as Record<string, any>
/** The published packages: every one under packages/ that is not private. */
const FOLDERS = readdirSync(join(ROOT, 'packages'))
  .map((name) => `packages/${name}`)
  .filter((folder) => manifest(folder).private !== true)
/** What the app installs besides the tarballs, at the versions this workspace uses. */
const EXTRAS = [`@types/node@${manifest('.').devDependencies['@types/node']}`, `kysely@${manifest('packages/store-postgres').dependencies.kysely}`]
const INSTALL_TIMEOUT = 600_000

/** Runs a command; on failure the error carries its output, so the test says what went wrong. */
async function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: INSTALL_TIMEOUT })
    return stdout
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error })
  }
}

const tsc = (app: string, project: string) => run(process.execPath, [TSC, '-p', project], app)

let folder: string
let app: string
let database: TestDatabase | undefined

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'durable-packed-app-'))
  app = join(folder, 'app')
  const packed = await packWorkspaces(ROOT, FOLDERS, folder)
  await cp(fileURLToPath(new URL('packed-app', import.meta.url)), app, { recursive: true })
  // --ignore-scripts: nothing here needs an install script, and none should run from a test.
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock']
  await run('npm', ['install', ...flags, ...packed.map((entry) => entry.tarball), ...EXTRAS], app)
  database = await createTestDatabase('packed_app')
}, INSTALL_TIMEOUT)

afterAll(async () => {
  await database?.drop()
  await rm(folder, { recursive: true, force: true })
})

describe('the published packages, installed from their tarballs into a new app', () => {
  it('installs each one from its tarball, not from this workspace', () => {
    for (const folder of FOLDERS) {
      const installed = join(app, 'node_modules', manifest(folder).name as string)
      expect(existsSync(join(installed, 'dist/index.js')), `${installed}/dist/index.js`).toBe(true)
      expect(existsSync(join(installed, 'src')), `${installed} ships src/ for its source maps`).toBe(true)
      expect(existsSync(join(installed, 'test')), `${installed} ships no tests`).toBe(false)
    }
  })

  it(
    'type-checks the app under moduleResolution nodenext, strict, and compiles it',
    async () => {
      await tsc(app, 'tsconfig.json')
      expect(existsSync(join(app, 'dist/main.js'))).toBe(true)
    },
    INSTALL_TIMEOUT,
  )

  it(
    'type-checks the app under moduleResolution bundler, strict',
    async () => {
      await tsc(app, 'tsconfig.bundler.json')
    },
    INSTALL_TIMEOUT,
  )

  it(
    'types ctx.tx in a program that imports @durable/core and @durable/embedded alone, and runs it',
    async () => {
      await tsc(app, 'tsconfig.embedded-only.json')
      const out = JSON.parse(await run(process.execPath, ['dist/embedded-only.js'], app)) as unknown
      expect(out).toEqual({ status: 'completed', results: { hello: { typed: true, greeting: 'hello ada' } } })
    },
    INSTALL_TIMEOUT,
  )

  it(
    'runs the workflows on the embedded default, on PostgreSQL and under testDurable, inputs and results as JSON',
    async () => {
      const out = JSON.parse(await run(process.execPath, ['dist/main.js'], app, { DATABASE_URL: database!.url })) as Record<string, unknown>
      const booking = (guest: string) => ({
        status: 'completed',
        results: {
          // The input's Date arrived as an ISO string; the result's Date was stored as one; the
          // step that returned nothing has null, as its type says.
          confirm: { guest, day: '2030-05-06', inputAt: 'string' },
          stamp: { at: '2030-01-01T00:00:00.000Z' },
          quiet: null,
          check: { stampIsString: true, quietIsNull: true, stampAt: 'string', quiet: null },
        },
      })
      const ledger = { status: 'completed', results: { write: { typed: true, account: 'acc-1' } } }
      expect(out).toEqual({
        adapters: ['function', 'function', 'function'],
        embedded: { booking: booking('ada'), ledger },
        postgres: { booking: booking('ada'), ledger },
        testing: booking('bo'),
      })
    },
    INSTALL_TIMEOUT,
  )

  it(
    'links the durable command',
    async () => {
      expect(await run(join(app, 'node_modules/.bin/durable'), ['--help'], app)).toMatch(/^Usage: durable <command>/m)
    },
    INSTALL_TIMEOUT,
  )
})
