import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { ANSI, checkout, cli, finishRuns, gate, gatekeeper, nap, runtimeOn, saga, waitForStatus } from './helpers.ts'

let database: TestDatabase
let env: Record<string, string>
let ids: string[]

beforeAll(async () => {
  database = await createTestDatabase('cli_list')
  env = { DATABASE_URL: database.url }
  const durable = await runtimeOn(database.url)
  try {
    ids = await finishRuns(durable, [() => durable.start(checkout, { sku: 'A1' }), () => durable.start(saga, { orderId: 'o-1' }), () => durable.start(checkout, { sku: 'B2' })])
  } finally {
    await durable.close()
  }
})
afterAll(async () => database?.drop())

describe('durable runs list', () => {
  it('prints the runs newest first in aligned columns, without colour when not a terminal', async () => {
    const { code, stdout, stderr } = await cli(['runs', 'list'], { env })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+STATUS\s+WAITING FOR\s+TRIES\s+CREATED\s+ERROR$/)
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([...ids].reverse())
    const failed = lines.find((line) => line.startsWith(ids[1]!))!
    expect(failed).toMatch(/saga\s+failed\s+\d+\s+\S+Z\s+address is invalid \[NON_RETRYABLE\] in step ship$/)
    // Aligned: every row's STATUS column starts where the header's does.
    const statusColumn = lines[0]!.indexOf('STATUS')
    for (const line of lines.slice(1)) expect(line.slice(statusColumn)).toMatch(/^(completed|failed) /)
    expect(stdout).not.toMatch(ANSI)
  })

  it('filters by workflow and by status', async () => {
    const byWorkflow = await cli(['runs', 'list', '--workflow', 'checkout'], { env })
    expect(byWorkflow.stdout).toContain(ids[0])
    expect(byWorkflow.stdout).toContain(ids[2])
    expect(byWorkflow.stdout).not.toContain(ids[1])

    const byStatus = await cli(['runs', 'list', '--status', 'failed'], { env })
    expect(byStatus.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(byStatus.stdout).toContain(ids[1])

    const none = await cli(['runs', 'list', '--workflow', 'checkout', '--status', 'failed'], { env })
    expect(none).toEqual({ code: 0, stdout: 'no runs found\n', stderr: '' })
  })

  it('prints JSON with stable keys for scripts', async () => {
    const { code, stdout } = await cli(['runs', 'list', '--json', '--status', 'failed'], { env })
    expect(code).toBe(0)
    const page = JSON.parse(stdout)
    expect(Object.keys(page)).toEqual(['runs', 'nextCursor'])
    expect(page.nextCursor).toBeNull()
    expect(page.runs).toHaveLength(1)
    const [run] = page.runs
    expect(Object.keys(run)).toEqual(['id', 'workflowName', 'status', 'input', 'error', 'parentRunId', 'attempts', 'waitingFor', 'createdAt', 'updatedAt'])
    expect(run).toMatchObject({
      id: ids[1],
      workflowName: 'saga',
      status: 'failed',
      input: { orderId: 'o-1' },
      error: { message: 'address is invalid', code: 'NON_RETRYABLE', step: 'ship' },
      parentRunId: null,
      waitingFor: null,
    })
    expect(new Date(run.createdAt).toISOString()).toBe(run.createdAt)
  })

  it('pages with --limit and --cursor', async () => {
    const first = JSON.parse((await cli(['runs', 'list', '--json', '--limit', '2'], { env })).stdout)
    expect(first.runs.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]])
    expect(typeof first.nextCursor).toBe('string')
    const second = JSON.parse((await cli(['runs', 'list', '--json', '--limit=2', '--cursor', first.nextCursor], { env })).stdout)
    expect(second.runs.map((r: { id: string }) => r.id)).toEqual([ids[0]])
    expect(second.nextCursor).toBeNull()

    const human = await cli(['runs', 'list', '--limit', '1'], { env })
    expect(human.stdout).toContain(`more runs: add --cursor ${ids[2]}`)
  })

  it.each([
    [['--status', 'done'], '--status must be one of pending, running, waiting, compensating, completed, failed, cancelled; got "done"'],
    [['--limit', '0'], '--limit must be a whole number from 1 to 1000; got "0"'],
    [['--limit', '1001'], '--limit must be a whole number from 1 to 1000; got "1001"'],
    [['--limit', '2.5'], '--limit must be a whole number from 1 to 1000; got "2.5"'],
    [['--limit', 'ten'], '--limit must be a whole number from 1 to 1000; got "ten"'],
    [['--workflow', ''], '--workflow needs a workflow name'],
    [['--bogus'], 'unknown flag --bogus for "runs list"'],
    [['--limit'], '--limit needs a value'],
    [['--json=yes'], '--json takes no value'],
    [['extra'], 'unexpected argument "extra" for "runs list"'],
  ])('refuses %j with exit code 2', async (flags, message) => {
    const { code, stdout, stderr } = await cli(['runs', 'list', ...flags], { env })
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(`durable: ${message}\nRun "durable runs list --help" for usage.\n`)
  })
})

describe('durable runs list: what waiting runs wait for', () => {
  let waitingDb: TestDatabase
  let napId: string
  let gateId: string
  let keeperId: string
  let childId: string

  beforeAll(async () => {
    waitingDb = await createTestDatabase('cli_list_waiting')
    const durable = await runtimeOn(waitingDb.url, [nap, gate, gatekeeper])
    try {
      napId = await durable.start(nap)
      gateId = await durable.start(gate, { orderId: 'o-1' })
      keeperId = await durable.start(gatekeeper)
      for (const id of [napId, gateId, keeperId]) await waitForStatus(durable, id, 'waiting')
      childId = (await durable.list({ workflowName: 'gate' })).runs.find((run) => run.parentRunId === keeperId)!.id
      // The parent waits as soon as the child exists; the child reaches its own wait a moment later.
      await waitForStatus(durable, childId, 'waiting')
    } finally {
      await durable.close()
    }
  })
  afterAll(async () => waitingDb?.drop())

  it('shows a signal with its deadline, a timer, and a child run in the WAITING FOR column, and explains the columns in --help', async () => {
    const { code, stdout } = await cli(['runs', 'list'], { env: { DATABASE_URL: waitingDb.url } })
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    const from = lines[0]!.indexOf('WAITING FOR')
    const to = lines[0]!.indexOf('TRIES')
    const cell = (id: string) =>
      lines
        .find((line) => line.startsWith(id))!
        .slice(from, to)
        .trim()
    expect(cell(napId)).toMatch(/^timer \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(cell(gateId)).toMatch(/^signal approved until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(cell(childId)).toMatch(/^signal approved until /)
    expect(cell(keeperId)).toBe(`child ${childId}`)

    const json = JSON.parse((await cli(['runs', 'list', '--json'], { env: { DATABASE_URL: waitingDb.url } })).stdout)
    const byId = (id: string) => json.runs.find((run: { id: string }) => run.id === id).waitingFor
    expect(byId(keeperId)).toEqual({ kind: 'child', runId: childId })
    expect(Object.keys(byId(gateId))).toEqual(['kind', 'name', 'until'])
    expect(byId(gateId)).toMatchObject({ kind: 'signal', name: 'approved' })
    expect(cell(gateId)).toBe(`signal approved until ${byId(gateId).until.slice(0, 19)}Z`)
    expect(byId(napId)).toEqual({ kind: 'timer', until: expect.stringMatching(/Z$/) })

    const help = await cli(['runs', 'list', '--help'])
    expect(help.stdout).toMatch(/Columns:\n {2}WAITING FOR +what a waiting run waits for/)
    expect(help.stdout).toMatch(/\n {2}TRIES +tries of steps and compensators that reached the journal/)
  })
})
