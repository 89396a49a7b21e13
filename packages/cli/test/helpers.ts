import { freePort } from '../../../testing/free-port.ts'
/** Shared by the CLI tests: run the command line in-process, and make runs to look at. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { defineWorkflow, NonRetryableError, type RunStatus, type Workflow } from '@durable/core'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { runCli, type CliIo } from '../src/index.ts'

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `durable <argv>` in this process with only the given environment. */
export async function cli(argv: string[], io: Partial<Omit<CliIo, 'stdout' | 'stderr'>> = {}): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    env: {},
    ...io,
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

/** The `durable` binary npm links (bin/durable.js, which runs dist/bin.js). */
export const bin = fileURLToPath(new URL('../bin/durable.js', import.meta.url))

/** Runs the built binary; resolves with its exit code and output instead of throwing. */
export async function durableBin(args: string[], env: Record<string, string>, cwd?: string, timeoutMs = 20_000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, cwd, timeout: timeoutMs })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string }
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout, stderr: failed.stderr }
  }
}

/** Completes: two steps with results. */
export const checkout = defineWorkflow<{ sku: string }>('checkout')
  .step('reserve', async (ctx) => ({ reservationId: `res-${ctx.input.sku}` }))
  .step('charge', async (ctx) => ({ paid: ctx.results.reserve.reservationId }))

/** Fails for good at `ship`, after which `reserve` is compensated. */
export const saga = defineWorkflow<{ orderId: string }>('saga')
  .step('reserve', async () => ({ id: 'r1' }), { compensate: async () => {} })
  .step('ship', async () => {
    throw new NonRetryableError('address is invalid')
  })

/** Waits a week at most for `approved`, then for `shipped`: a `shipped` sent early is kept until then. */
export const gate = defineWorkflow<{ orderId: string }>('gate')
  .waitForSignal('approved', { timeout: '7d' })
  .waitForSignal('shipped')
  .step('close', async () => 'closed')

/** Sleeps an hour. */
export const nap = defineWorkflow('nap')
  .sleep('doze', '1h')
  .step('wake', async () => 'up')

/** Starts a `gate` child and waits for it. */
export const gatekeeper = defineWorkflow('gatekeeper').child('gate', gate, () => ({ orderId: 'child' }))

/** A runtime on `url` with a running worker, for making runs. */
export async function runtimeOn(url: string, workflows: readonly Workflow[] = [checkout, saga]): Promise<Durable> {
  const store = postgresStore({ connectionString: url })
  const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: 200 }), workflows, logger: silentLogger })
  await durable.migrate()
  await durable.worker({ concurrency: 4, reconcileIntervalMs: 300 }).start()
  return durable
}

/** Starts the runs and waits until each has ended; resolves to their ids, in order. */
export async function finishRuns(durable: Durable, starts: Array<() => Promise<string>>): Promise<string[]> {
  const ids: string[] = []
  // One at a time: ids (ULIDs) then sort by creation, which `runs list` relies on.
  for (const start of starts) ids.push(await start())
  for (const id of ids) await durable.waitFor(id, { timeout: '20s' })
  return ids
}

/** Polls until the run is in `status` (e.g. parked in a sleep or a signal wait); fails after 20 s. */
export async function waitForStatus(durable: Durable, runId: string, status: RunStatus): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const run = await durable.find(runId)
    if (run.status === status) return
    if (Date.now() > deadline) throw new Error(`run ${runId} is still ${run.status}, not ${status}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A loopback port with nothing listening on it (a free one: nothing was started there). */
export const closedPort = freePort

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[/
