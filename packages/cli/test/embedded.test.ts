import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedDurable } from '@durable/embedded'
import { silentLogger } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkout, cli, finishRuns, saga } from './helpers.ts'

let root: string
let dataDir: string
let ids: string[]

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'durable-cli-'))
  dataDir = join(root, '.durable')
  const durable = embeddedDurable({ workflows: [checkout, saga], dataDir, logger: silentLogger, pollIntervalMs: 100 })
  try {
    await durable.worker({ concurrency: 2, reconcileIntervalMs: 300 }).start()
    ids = await finishRuns(durable, [() => durable.start(checkout, { sku: 'E1' }), () => durable.start(saga, { orderId: 'e-1' })])
  } finally {
    await durable.close()
  }
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('the embedded data directory', () => {
  it('lists and shows runs from --data-dir, and from .durable by default when DATABASE_URL is unset', async () => {
    const byFlag = await cli(['runs', 'list', '--json', '--data-dir', dataDir])
    expect(byFlag.code).toBe(0)
    expect(JSON.parse(byFlag.stdout).runs.map((r: { id: string }) => r.id)).toEqual([...ids].reverse())

    const byDefault = await cli(['runs', 'show', ids[1]!], { cwd: root, env: {} })
    expect(byDefault.code).toBe(0)
    expect(byDefault.stdout).toContain('↩ compensated')
  })

  it('reads through the socket of the instance that holds the directory, and after it is closed', async () => {
    const holder = embeddedDurable({ workflows: [], dataDir, logger: silentLogger })
    try {
      await holder.migrate()
      const { code, stdout, stderr } = await cli(['runs', 'list', '--json', '--data-dir', dataDir])
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
      expect(JSON.parse(stdout).runs.map((r: { id: string }) => r.id)).toEqual([...ids].reverse())
    } finally {
      await holder.close()
    }
    // Released with the holder: the CLI opens it itself.
    expect((await cli(['runs', 'list', '--data-dir', dataDir])).code).toBe(0)
  })

  it('prints why it cannot read a directory whose holder serves no socket, and exits 1', async () => {
    const holder = embeddedDurable({ workflows: [], dataDir, logger: silentLogger, serve: false })
    try {
      await holder.migrate()
      const { code, stdout, stderr } = await cli(['runs', 'list', '--data-dir', dataDir])
      expect({ code, stdout }).toEqual({ code: 1, stdout: '' })
      expect(stderr).toBe(
        `durable: the embedded database at ${dataDir} is open in this process, which does not serve it to other processes (it is still starting, was created with serve: false, or runs a @durable/embedded older than this CLI): try again, upgrade @durable/embedded in the app, or stop it first\n`,
      )
    } finally {
      await holder.close()
    }
  })

  it('does not create a database to read one that is not there; migrate does', async () => {
    const missing = join(root, 'elsewhere')
    const read = await cli(['runs', 'list'], { cwd: missing, env: {} })
    expect(read.code).toBe(1)
    expect(read.stderr).toContain(`durable: no embedded database at ${join(missing, '.durable')}: set DATABASE_URL`)
    expect(existsSync(missing)).toBe(false)

    const migrate = await cli(['migrate', '--data-dir', 'fresh'], { cwd: root })
    expect(migrate.code).toBe(0)
    expect(migrate.stdout).toMatch(/^migrating the embedded database at .*fresh… done/)
    expect((await cli(['runs', 'list', '--data-dir', 'fresh'], { cwd: root })).stdout).toBe('no runs found\n')
  })
})
