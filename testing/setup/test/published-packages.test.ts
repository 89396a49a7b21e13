import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkTarball, packWorkspaces, type PackedPackage } from '../src/check-packages.ts'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
/** Every package under packages/ is published. */
const FOLDERS = readdirSync(join(ROOT, 'packages')).map((name) => `packages/${name}`)
const LICENSE = readFileSync(join(ROOT, 'LICENSE'), 'utf8')

let destination: string
let packed: PackedPackage[]

beforeAll(async () => {
  destination = await mkdtemp(join(tmpdir(), 'durable-packed-'))
  packed = await packWorkspaces(ROOT, FOLDERS, destination)
})
afterAll(async () => rm(destination, { recursive: true, force: true }))

describe.each(FOLDERS)('%s, packed', (folder) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as Record<string, unknown>
  const tarball = () => packed.find((entry) => entry.name === manifest.name) ?? expect.unreachable(`${String(manifest.name)} was not packed`)

  it('passes publint and Are the Types Wrong', async () => {
    expect(await checkTarball(tarball().tarball)).toEqual([])
  })

  it('says which Node it needs, ships the MIT licence, and has top-level types', () => {
    expect(manifest).toMatchObject({ license: 'MIT', engines: { node: '>=20.19' }, sideEffects: false, types: './dist/index.d.ts' })
    expect(tarball().files).toContain('LICENSE')
    expect(readFileSync(join(ROOT, folder, 'LICENSE'), 'utf8')).toBe(LICENSE)
  })

  it('ships the source files its source maps and declaration maps point at', () => {
    const files = new Set(tarball().files)
    const maps = [...files].filter((file) => file.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    const missing = maps.flatMap((map) => {
      const { sources } = JSON.parse(readFileSync(join(ROOT, folder, map), 'utf8')) as { sources: string[] }
      return sources.map((source) => join(map, '..', source)).filter((source) => !files.has(source))
    })
    expect(missing).toEqual([])
  })
})

describe('the durable command', () => {
  it('is a committed file, so npm links it at install time before dist/ is built', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { bin: Record<string, string> }
    expect(manifest.bin).toEqual({ durable: './bin/durable.js' })
    expect(packed.find((entry) => entry.name === '@durable/cli')?.files).toContain('bin/durable.js')
    expect(readFileSync(join(ROOT, 'packages/cli/bin/durable.js'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })
})

describe('checkTarball', () => {
  it('reports a package whose entry point is not in the tarball and has no types', async () => {
    const folder = join(destination, 'broken')
    await mkdir(folder)
    await writeFile(join(folder, 'package.json'), JSON.stringify({ name: 'broken', version: '1.0.0', type: 'module', exports: { '.': './dist/index.js' } }))
    const [broken] = await packWorkspaces(folder, [], destination)
    const problems = await checkTarball(broken?.tarball ?? '')
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^publint error: .*dist\/index\.js/), 'attw: the package has no types']))
  })
})
