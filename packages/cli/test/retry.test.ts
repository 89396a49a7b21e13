import { fileURLToPath } from 'node:url'
import type { Durable } from '@durable/provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { FALLBACK_NOTE } from '../src/app-connection.ts'
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
  // The worker of "the app" knows the fixture's workflows; the CLI needs none to retry.
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

  it('resumes a failed run at its failed step, with no workflows: the worker that claims it resumes it', async () => {
    const id = failed[0]!
    const { code, stdout, stderr } = await cli(['retry', id], { env, cwd: packageDir })
    expect({ code, stdout, stderr }).toEqual({
      code: 0,
      stdout: `retrying run ${id} from step ship: a worker that has workflow "shipping" registered picks it up\n`,
      stderr: FALLBACK_NOTE,
    })
    const done = await runtime.waitFor(id, { timeout: '20s' })
    expect(done.status).toBe('completed')
    expect(done.result).toEqual({ pack: { box: 'box-o-1' }, ship: { tracking: 'trk-box-o-1' } })
    // `pack` ran once: the retry resumed at `ship`.
    const journal = await runtime.journal(id)
    expect(journal.filter((entry) => entry.stepKey === 'pack' && entry.kind === 'step_completed')).toHaveLength(1)
  })

  it('prints { ok, runId, workflowName, step } with --json', async () => {
    const id = failed[1]!
    const { code, stdout } = await cli(['retry', id, '--json'], { env })
    expect(code).toBe(0)
    const printed = JSON.parse(stdout)
    expect(Object.keys(printed)).toEqual(['ok', 'runId', 'workflowName', 'step'])
    expect(printed).toEqual({ ok: true, runId: id, workflowName: 'shipping', step: 'ship' })
    expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('completed')
  })

  it('retries from the built binary too', async () => {
    const id = failed[2]!
    const { code, stderr } = await durableBin(['retry', id], env, packageDir)
    expect({ code, stderr }).toEqual({ code: 0, stderr: FALLBACK_NOTE })
    expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('completed')
  })

  it('takes --workflows; a module of workflows alone names no queue, so the wake-up still goes through the jobs table, as it says', async () => {
    const id = failed[3]!
    const { code, stdout, stderr } = await cli(['retry', id, '--workflows', FIXTURE], { env, cwd: packageDir })
    expect({ code, stdout, stderr }).toEqual({
      code: 0,
      stdout: `retrying run ${id} from step ship: a worker that has workflow "shipping" registered picks it up\n`,
      stderr: FALLBACK_NOTE,
    })
    expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('completed')
  })

  it('retries the failed runs of a workflow with --status failed --workflow, printing how many match and how many it retried', async () => {
    const { code, stdout, stderr } = await cli(['retry', '--status', 'failed', '--workflow', 'saga'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: FALLBACK_NOTE })
    expect(stdout).toBe('1 failed run of workflow "saga" to retry\nretrying 1 run from the steps that failed: workers that have their workflows registered pick them up\n')
    // A worker resumed it (and it failed again: its step refuses for good).
    const retried = async () => (await runtime.journal(sagaId)).filter((entry) => entry.kind === 'run_retried').length
    await expect.poll(retried, { timeout: 20_000 }).toBe(1)
    expect((await runtime.waitFor(sagaId, { timeout: '20s' })).status).toBe('failed')
    expect((await runtime.find(completedId)).status).toBe('completed')
  })

  it('exits 1 for a run that is not failed, and for an unknown run', async () => {
    expect(await cli(['retry', completedId], { env, cwd: packageDir })).toEqual({
      code: 1,
      stdout: '',
      stderr: `durable: run ${completedId} is completed: cannot retry it (only a failed run can be retried)\n`,
    })
    expect(await cli(['retry', MISSING], { env })).toEqual({ code: 1, stdout: '', stderr: `durable: run ${MISSING} not found\n` })
    const json = await cli(['retry', MISSING, '--json'], { env, cwd: packageDir })
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'RUN_NOT_FOUND', message: `run ${MISSING} not found` } })
  })
})
