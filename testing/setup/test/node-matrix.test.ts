/**
 * The supported matrix, run inside `npm test`: Node 20, 22 and 24 × the oldest and the newest
 * major of each queue engine that the adapters' `peerDependencies` name (pg-boss, Graphile Worker,
 * BullMQ). Node 22 and 24 come from npm (the `node-<platform>-<arch>` package), like everything
 * else. The packed tarballs are installed into two fresh apps outside the workspace — one with
 * the oldest engines, one with the newest — and each app's tests (`engine-app/`: the
 * `testQueueAdapter` conformance suite and a workflow on PostgreSQL, per engine) run with vitest
 * under each Node version the engine supports (its `engines.node`). The apps leave out
 * `@durable/embedded`, so the CLI is checked on PostgreSQL without PGlite, too.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startRedis, type RedisServer } from '../../../packages/queue-bullmq/test/redis-server.ts'
import { createTestDatabase, type TestDatabase } from '../../database.ts'
import { packWorkspaces } from '../src/check-packages.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
const TIMEOUT = 600_000
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- package.json fields of any shape
const manifest = (path: string) => JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as Record<string, any>

/** Node majors the packages support (root `engines.node` is >=20.19). */
const NODE_MAJORS = [20, 22, 24] as const
/** What the apps install: every published package but `@durable/embedded` (and `@durable/testing`, which needs it). */
const PACKAGES = ['core', 'queue-adapter', 'provider', 'store-postgres', 'queue-postgres', 'queue-pg-boss', 'queue-graphile-worker', 'queue-bullmq', 'cli']
/** The engines, the adapter that names their supported majors, and the app's test file for them. */
const ENGINES = [
  { name: 'pg-boss', adapter: 'queue-pg-boss', file: 'test/pg-boss.test.ts' },
  { name: 'graphile-worker', adapter: 'queue-graphile-worker', file: 'test/graphile-worker.test.ts' },
  { name: 'bullmq', adapter: 'queue-bullmq', file: 'test/bullmq.test.ts' },
] as const
type Generation = 'oldest' | 'newest'

/** `^10.1.0 || ^12.0.0` → the first (oldest) or last (newest) range. */
function engineRange(engine: (typeof ENGINES)[number], generation: Generation): string {
  const ranges = String(manifest(join(ROOT, 'packages', engine.adapter)).peerDependencies[engine.name]).split('||')
  return (generation === 'oldest' ? ranges[0]! : ranges.at(-1)!).trim()
}

/** Besides the tarballs and engines: what the app's tests import, at the workspace's versions (ioredis: BullMQ 6 leaves it to the app). */
const EXTRAS = [
  `vitest@${manifest(ROOT).devDependencies.vitest}`,
  `@types/node@${manifest(ROOT).devDependencies['@types/node']}`,
  `pg@${manifest(ROOT).devDependencies.pg}`,
  `kysely@${manifest(join(ROOT, 'packages/store-postgres')).dependencies.kysely}`,
  'ioredis@^5',
]

interface Output {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program to its end; never throws for a non-zero exit (the caller checks `code`). */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Output> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolve({ code, stdout, stderr: error && code === 1 && stderr === '' ? error.message : stderr })
    })
  })
}

/** Like {@link run}, but a failure throws with the command and its output. */
async function mustRun(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const out = await run(command, args, cwd, env)
  if (out.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${out.code}) in ${cwd}:\n${out.stdout}\n${out.stderr}`)
  return out.stdout
}

/** The Node binary of `major`: this process's when it is that major, else the npm package `node-<platform>-<arch>@<major>`. */
async function nodeBinary(major: number, folder: string): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath
  const name = `node-${process.platform}-${process.arch}`
  const prefix = join(folder, `node-${major}`)
  await mkdir(prefix, { recursive: true })
  const out = await run('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', `${name}@${major}`], prefix)
  const binary = join(prefix, 'node_modules', name, 'bin', 'node')
  if (out.code !== 0 || !existsSync(binary)) {
    throw new Error(`could not fetch Node ${major} from npm (npm install ${name}@${major}, exit ${out.code}): ${out.stderr.trim().split('\n').slice(-3).join(' ')}`)
  }
  return binary
}

/** `>=22.12.0` against `22.23.5`; only the `>=` form, which is what the engines declare. */
function satisfiesEngine(range: string | undefined, version: string): boolean {
  if (range === undefined) return true
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim())
  if (!match) throw new Error(`cannot read engines.node "${range}": teach satisfiesEngine this form`)
  const want = [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)]
  const have = version.replace(/^v/, '').split('.').map(Number)
  for (let i = 0; i < 3; i++) if (have[i]! !== want[i]!) return have[i]! > want[i]!
  return true
}

/** Vitest's own variables would make the app's vitest think it runs inside this one. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'TEST'))
  return { ...env, ...extra }
}

let folder: string
let redis: RedisServer | undefined
let database: TestDatabase | undefined
const apps = {} as Record<Generation, string>
const nodes = new Map<number, { binary: string; version: string }>()

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'durable-node-matrix-'))
  const [packed] = await Promise.all([
    packWorkspaces(
      ROOT,
      PACKAGES.map((name) => `packages/${name}`),
      folder,
    ),
    (async () => {
      for (const major of NODE_MAJORS) {
        const binary = await nodeBinary(major, folder)
        nodes.set(major, { binary, version: (await mustRun(binary, ['--version'], folder)).trim() })
      }
    })(),
  ])
  const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock']
  for (const generation of ['oldest', 'newest'] as const) {
    const app = join(folder, `app-${generation}`)
    await cp(fileURLToPath(new URL('engine-app', import.meta.url)), app, { recursive: true })
    const engines = ENGINES.map((engine) => `${engine.name}@${engineRange(engine, generation)}`)
    await mustRun('npm', ['install', ...flags, ...packed.map((entry) => entry.tarball), ...engines, ...EXTRAS], app)
    apps[generation] = app
  }
  redis = await startRedis()
  database = await createTestDatabase('node_matrix_cli')
}, TIMEOUT)

afterAll(async () => {
  await redis?.stop()
  await database?.drop()
  if (folder) await rm(folder, { recursive: true, force: true })
})

describe.each(['oldest', 'newest'] as const)('the %s supported engine majors, installed from the tarballs', (generation) => {
  it(
    'type-check with the adapters under nodenext, strict, as their documentation builds them',
    async () => {
      const out = await run(process.execPath, [TSC, '-p', `tsconfig.${generation}.json`], apps[generation])
      // An engine's own declaration files may not compile without skipLibCheck (pg-boss 12's do
      // not); those are the engine's to fix. Every other error — ours, or the app's — counts.
      const errors = out.stdout.split('\n').filter((line) => /error TS/.test(line) && !ENGINES.some((engine) => line.startsWith(`node_modules/${engine.name}/`)))
      expect(errors).toEqual([])
    },
    TIMEOUT,
  )

  it.each(NODE_MAJORS)(
    'run the conformance suite and a workflow on Node %i, for each engine that supports it',
    async (major) => {
      const node = nodes.get(major)!
      const app = apps[generation]
      const files = ENGINES.filter((engine) => satisfiesEngine(manifest(join(app, 'node_modules', engine.name)).engines?.node, node.version)).map((engine) => engine.file)
      // The newest Node runs every engine, so no major is left untested; and every row runs one at least (README's table).
      if (major === NODE_MAJORS.at(-1)) expect(files).toHaveLength(ENGINES.length)
      expect(files.length).toBeGreaterThan(0)
      const env = cleanEnv({ DURABLE_TEST_ADMIN_URL: inject('adminDatabaseUrl'), DURABLE_TEST_REDIS_PORT: String(redis!.port), NO_COLOR: '1' })
      const out = await run(node.binary, ['node_modules/vitest/vitest.mjs', 'run', ...files], app, env)
      const versions = ENGINES.map((engine) => `${engine.name} ${String(manifest(join(app, 'node_modules', engine.name)).version)}`).join(', ')
      expect(out.code, `Node ${node.version} with ${versions}, ${files.join(' ')}:\n${out.stdout}\n${out.stderr}`).toBe(0)
      expect(out.stdout).toMatch(new RegExp(`Test Files\\s+${files.length} passed \\(${files.length}\\)`))
    },
    TIMEOUT,
  )
})

describe('the CLI without @durable/embedded', () => {
  it('is installed without PGlite', () => {
    expect(existsSync(join(apps.oldest, 'node_modules/@durable/cli/dist/index.js'))).toBe(true)
    expect(existsSync(join(apps.oldest, 'node_modules/@durable/embedded'))).toBe(false)
    expect(existsSync(join(apps.oldest, 'node_modules/@electric-sql/pglite'))).toBe(false)
  })

  it(
    'works on PostgreSQL, and names the package to install for the embedded database',
    async () => {
      const durable = join(apps.oldest, 'node_modules/.bin/durable')
      const env = cleanEnv({})
      delete env.DATABASE_URL
      expect(await mustRun(durable, ['migrate', '--database-url', database!.url], apps.oldest, env)).toMatch(/^migrating postgres:.*done/)
      expect(JSON.parse(await mustRun(durable, ['runs', 'list', '--json', '--database-url', database!.url], apps.oldest, env))).toMatchObject({ runs: [] })

      const embedded = await run(durable, ['runs', 'list'], apps.oldest, env)
      expect(embedded.code).toBe(1)
      expect(embedded.stderr).toMatch(/^durable: the embedded database \(.*\.durable\) needs @durable\/embedded: npm install @durable\/embedded/)
      const json = await run(durable, ['migrate', '--data-dir', 'data', '--json'], apps.oldest, env)
      expect(json.code).toBe(1)
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'EMBEDDED_NOT_INSTALLED' } })
      expect(existsSync(join(apps.oldest, 'data'))).toBe(false)
    },
    TIMEOUT,
  )
})

describe('BullMQ 6 without ioredis, which it no longer brings', () => {
  it(
    'fails migrate with INVALID_INPUT naming the package to install, and closes',
    async () => {
      const app = apps.newest
      expect(manifest(join(app, 'node_modules/bullmq')).version).toMatch(/^6\./)
      const script = [
        "import { bullmqQueue } from '@durable/queue-bullmq'",
        `const queue = bullmqQueue({ connection: { host: '127.0.0.1', port: ${redis!.port} }, queueName: 'no-ioredis', logger: { warn() {} } })`,
        'const error = await queue.migrate().then(() => undefined, (error) => error)',
        'await queue.close()',
        'console.log(JSON.stringify({ code: error?.code, message: error?.message }))',
      ].join('\n')
      const aside = join(app, 'node_modules/.ioredis-aside')
      await rename(join(app, 'node_modules/ioredis'), aside)
      try {
        const out = JSON.parse(await mustRun(process.execPath, ['--input-type=module', '-e', script], app)) as unknown
        expect(out).toEqual({ code: 'INVALID_INPUT', message: 'bullmqQueue.migrate: BullMQ 6 needs the ioredis package next to it: npm install ioredis' })
      } finally {
        await rename(aside, join(app, 'node_modules/ioredis'))
      }
    },
    TIMEOUT,
  )
})
