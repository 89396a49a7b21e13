import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cli } from './helpers.ts'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
// A bad module is refused before anything connects: this database is never reached.
const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }

describe('--workflows (dashboard)', () => {
  it('exits 2 for a module path that is not there or exports no workflow', async () => {
    const none = await cli(['dashboard', '--workflows', 'test/fixtures/nope.mjs'], { env, cwd: packageDir })
    expect(none.code).toBe(2)
    expect(none.stderr.split('\n')[0]).toBe(`durable: --workflows test/fixtures/nope.mjs: no such file (looked for ${packageDir}test/fixtures/nope.mjs)`)
    const empty = await cli(['dashboard', '--workflows', 'test/fixtures/no-workflows.mjs'], { env, cwd: packageDir })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toBe(
      'durable: --workflows test/fixtures/no-workflows.mjs exports no workflow made with defineWorkflow, no durable and no queue (it exports "retries", "ship")\nRun "durable dashboard --help" for usage.\n',
    )
  })

  it('exits 1 for a module that throws while loading', async () => {
    const broken = await cli(['dashboard', '--workflows', 'test/fixtures/throws-on-load.mjs'], { env, cwd: packageDir })
    expect(broken.code).toBe(1)
    expect(broken.stderr).toBe('durable: could not load --workflows test/fixtures/throws-on-load.mjs: DATABASE_URL is not set in the workflows module\n')
  })

  it('exits 1 for a "queue" export that is not a queue adapter, naming what it should be', async () => {
    for (const command of [['signal', '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'approved'], ['cancel', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], ['dashboard']]) {
      const bad = await cli([...command, '--workflows', 'test/fixtures/bad-queue.mjs'], { env, cwd: packageDir })
      expect({ code: bad.code, stdout: bad.stdout, stderr: bad.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: 'durable: --workflows test/fixtures/bad-queue.mjs exports "queue", but it is not a queue adapter (with dispatch and consume), e.g. pgBossQueue(boss)\n',
      })
    }
  })
})
