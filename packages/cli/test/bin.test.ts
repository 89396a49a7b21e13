import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { embeddedDurable } from '@durable/embedded'
import { silentLogger } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { bin, checkout, durableBin as durable, finishRuns, runtimeOn } from './helpers.ts'

let database: TestDatabase
let runId: string

beforeAll(async () => {
  database = await createTestDatabase('cli_bin')
  const runtime = await runtimeOn(database.url)
  try {
    ;[runId] = (await finishRuns(runtime, [() => runtime.start(checkout, { sku: 'BIN' })])) as [string]
  } finally {
    await runtime.close()
  }
})
afterAll(async () => database?.drop())

describe('the durable binary', () => {
  it('starts with a node shebang', () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it('says what to run when the package is not built yet', async () => {
    const root = mkdtempSync(join(tmpdir(), 'durable-cli-unbuilt-'))
    try {
      mkdirSync(join(root, 'bin'))
      copyFileSync(bin, join(root, 'bin', 'durable.js'))
      const result = await promisify(execFile)(process.execPath, [join(root, 'bin', 'durable.js'), '--help']).catch((error: unknown) => error)
      expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'durable: @durable/cli is not built (no dist/bin.js): run npm run build\n' })
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('lists runs as JSON with DATABASE_URL, and exits 0', async () => {
    const { code, stdout, stderr } = await durable(['runs', 'list', '--json'], { DATABASE_URL: database.url })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(stdout).runs).toMatchObject([{ id: runId, workflowName: 'checkout', status: 'completed' }])
  })

  it('exits 2 on a usage error and 1 on an unknown run', async () => {
    expect((await durable(['runs', 'list', '--bogus'], { DATABASE_URL: database.url })).code).toBe(2)
    const missing = await durable(['runs', 'show', 'nope'], { DATABASE_URL: database.url })
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'durable: run nope not found\n' })
  })

  it('reports an embedded data directory held by another process that does not serve it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'durable-cli-bin-'))
    const dataDir = join(root, 'data')
    // Served (the default), the CLI would read through its socket: see live-embedded.test.ts.
    const holder = embeddedDurable({ workflows: [], dataDir, logger: silentLogger, serve: false })
    try {
      await holder.migrate()
      const { code, stdout, stderr } = await durable(['runs', 'list', '--data-dir', dataDir], {})
      expect(code).toBe(1)
      expect(stdout).toBe('')
      expect(stderr).toBe(
        `durable: the embedded database at ${dataDir} is open in process ${process.pid}, which does not serve it to other processes (it is still starting, was created with serve: false, or runs a @durable/embedded older than this CLI): try again, upgrade @durable/embedded in the app, or stop it first\n`,
      )
    } finally {
      await holder.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})
