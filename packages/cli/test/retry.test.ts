import { fileURLToPath } from 'node:url'
import type { Durable } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
// A plain ESM module, as a user's built workflows module; its types are in the .d.mts beside it.
import { returns, shipping } from './fixtures/shipping-workflows.mjs'
import { checkout, cli, durableBin, finishRuns, runtimeOn, saga } from './helpers.ts'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const FIXTURE = 'test/fixtures/shipping-workflows.mjs'
const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV'

let database: TestDatabase
let env: Record<string, string>
let runtime: Durable
let completedId: string
let sagaId: string
let failed: string[]

beforeAll(async () => {
  database = await createTestDatabase('cli_retry')
  env = { DATABASE_URL: database.url }
  // The worker of "the app" knows the fixture's workflows, as the CLI will through --workflows.
  runtime = await runtimeOn(database.url, [shipping, returns, checkout, saga])
  process.env.DURABLE_CLI_TEST_CARRIER = 'down'
  try {
    const starts = ['o-1', 'o-2', 'o-3', 'o-4'].map((orderId) => () => runtime.start(shipping, { orderId }))
    failed = await finishRuns(runtime, starts)
  } finally {
    // The cause is fixed: a retried `ship` succeeds from now on.
    delete process.env.DURABLE_CLI_TEST_CARRIER
  }
  ;[completedId, sagaId] = (await finishRuns(runtime, [() => runtime.start(checkout, { sku: 'R1' }), () => runtime.start(saga, { orderId: 's-1' })])) as [string, string]
})
afterAll(async () => {
  delete process.env.DURABLE_CLI_TEST_CARRIER
  await runtime?.close()
  await database?.drop()
})

describe('durable retry', () => {
  it('starts the runs failed as expected', async () => {
    for (const id of failed) expect(await runtime.find(id)).toMatchObject({ status: 'failed', error: { message: 'the carrier is down', step: 'ship' } })
  })

  it('resumes a failed run at its failed step with --workflows, once the cause is fixed', async () => {
    const id = failed[0]!
    const { code, stdout, stderr } = await cli(['retry', id, '--workflows', FIXTURE], { env, cwd: packageDir })
    expect({ code, stdout, stderr }).toEqual({
      code: 0,
      stdout: `retrying run ${id} from step ship: a worker that has workflow "shipping" registered picks it up\n`,
      stderr: '',
    })
    const done = await runtime.waitFor(id, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.result).toEqual({ pack: { box: 'box-o-1' }, ship: { tracking: 'trk-box-o-1' } })
    // `pack` ran once: the retry resumed at `ship`.
    const journal = await runtime.journal(id)
    expect(journal.filter((entry) => entry.stepKey === 'pack' && entry.kind === 'step_completed')).toHaveLength(1)
  })

  it('prints { ok, runId, workflowName, step } with --json, given an absolute module path', async () => {
    const id = failed[1]!
    const { code, stdout } = await cli(['retry', id, '--json', '--workflows', `${packageDir}${FIXTURE}`], { env })
    expect(code).toBe(0)
    const printed = JSON.parse(stdout)
    expect(Object.keys(printed)).toEqual(['ok', 'runId', 'workflowName', 'step'])
    expect(printed).toEqual({ ok: true, runId: id, workflowName: 'shipping', step: 'ship' })
    expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('completed')
  })

  it('loads the module in the built binary too (plain Node ESM)', async () => {
    const id = failed[2]!
    const { code, stderr } = await durableBin(['retry', id, '--workflows', FIXTURE], env, packageDir)
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('completed')
  })

  it('exits 1 without --workflows, telling the user to pass it; the run stays failed', async () => {
    const id = failed[3]!
    const { code, stdout, stderr } = await cli(['retry', id], { env })
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' })
    expect(stderr).toBe(
      `durable: run ${id} is a run of workflow "shipping", which retry needs to resume it: pass --workflows <module>, an ES module that exports it (e.g. durable retry ${id} --workflows ./dist/workflows.js)\n`,
    )
    const json = await cli(['retry', id, '--json'], { env })
    expect(JSON.parse(json.stderr).error.code).toBe('WORKFLOW_NOT_REGISTERED')
    expect((await runtime.find(id)).status).toBe('failed')
  })

  it('exits 1 when the module does not export the run\'s workflow, or fails to load', async () => {
    const other = await cli(['retry', sagaId, '--workflows', FIXTURE], { env, cwd: packageDir })
    expect(other).toEqual({
      code: 1,
      stdout: '',
      stderr: `durable: --workflows ${FIXTURE} does not export workflow "saga", the workflow of run ${sagaId} (it exports "shipping", "returns")\n`,
    })
    const broken = await cli(['retry', sagaId, '--workflows', 'test/fixtures/throws-on-load.mjs'], { env, cwd: packageDir })
    expect(broken.code).toBe(1)
    expect(broken.stderr).toBe('durable: could not load --workflows test/fixtures/throws-on-load.mjs: DATABASE_URL is not set in the workflows module\n')
  })

  it('exits 2 for a module path that is not there or exports no workflow', async () => {
    const none = await cli(['retry', sagaId, '--workflows', 'test/fixtures/nope.mjs'], { env, cwd: packageDir })
    expect(none.code).toBe(2)
    expect(none.stderr.split('\n')[0]).toBe(`durable: --workflows test/fixtures/nope.mjs: no such file (looked for ${packageDir}test/fixtures/nope.mjs)`)
    const empty = await cli(['retry', sagaId, '--workflows', 'test/fixtures/no-workflows.mjs'], { env, cwd: packageDir })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toBe(
      'durable: --workflows test/fixtures/no-workflows.mjs exports no workflow made with defineWorkflow (it exports "retries", "ship")\nRun "durable retry --help" for usage.\n',
    )
  })

  it('exits 1 for a run that is not failed, and for an unknown run', async () => {
    for (const argv of [['retry', completedId], ['retry', completedId, '--workflows', FIXTURE]]) {
      expect(await cli(argv, { env, cwd: packageDir })).toEqual({
        code: 1,
        stdout: '',
        stderr: `durable: run ${completedId} is completed: cannot retry it (only a failed run can be retried)\n`,
      })
    }
    expect(await cli(['retry', MISSING], { env })).toEqual({ code: 1, stdout: '', stderr: `durable: run ${MISSING} not found\n` })
    const json = await cli(['retry', MISSING, '--json', '--workflows', FIXTURE], { env, cwd: packageDir })
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'RUN_NOT_FOUND', message: `run ${MISSING} not found` } })
  })
})
