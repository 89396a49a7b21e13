/**
 * Model-based test of the runtime on `memoryStore()`: random starts, failures, signals, cancels,
 * retries, forks and jumps of time (`fc.commands`). Every handler compares what the worker hands
 * it — `ctx.results` — with what a fresh claim would rebuild from the store at that moment
 * (`runResults` of the journal), and after every command each run's stored state is compared
 * with the state its journal replays to. For every construct: step, parallel, loop, route,
 * sleep, signal wait, child.
 */
import { defineWorkflow, NonRetryableError, replay, runResults, type Json, type JournalEntry, type Workflow } from '@durable/core'
import { testDurable, type TestDurable } from '@durable/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

interface Input {
  /** Tries of `a` that fail before one succeeds. */
  readonly failA: number
  /** Branch `x` fails this many tries first. */
  readonly failX: number
  readonly loops: number
  readonly route: 'left' | 'right'
  /** `z` fails for good: the run rolls back. */
  readonly doomed: boolean
}

/** What went wrong, as the handlers and checks saw it: must stay empty. */
const mismatches: string[] = []
/** Steps whose handlers ran, and run statuses reached, over the whole property: proof it drove every construct. */
const stepsRan = new Set<string>()
const statusesSeen = new Set<string>()
const tries = new Map<string, number>()
let t: TestDurable

/** The worker's view of the results must be the journal's, at the moment the step runs. */
async function check(ctx: { runId: string; stepName: string; results: unknown }): Promise<void> {
  stepsRan.add(ctx.stepName)
  const truth = runResults(await t.journal(ctx.runId))
  const held = JSON.parse(JSON.stringify(ctx.results)) as Json
  if (JSON.stringify(sorted(held)) !== JSON.stringify(sorted(truth))) {
    mismatches.push(`${ctx.runId}/${ctx.stepName}: handed ${JSON.stringify(held)}, journal says ${JSON.stringify(truth)}`)
  }
}

function attempt(ctx: { runId: string; stepName: string }, key = ctx.stepName): number {
  const n = (tries.get(`${ctx.runId}:${key}`) ?? 0) + 1
  tries.set(`${ctx.runId}:${key}`, n)
  return n
}

const kid = defineWorkflow<{ from: string }>('kid').step('k', async (ctx) => (await check(ctx), `kid of ${ctx.input.from}`))

const mixed = defineWorkflow<Input>('mixed')
  .step('a', async (ctx) => {
    await check(ctx)
    if (attempt(ctx) <= ctx.input.failA) throw new Error('a failed')
    return 'a'
  }, { maxAttempts: 3, backoff: () => '1s', compensate: async (ctx) => check(ctx) })
  .parallel('p', {
    x: { handler: async (ctx) => (await check(ctx), attempt(ctx, 'x') <= ctx.input.failX ? Promise.reject(new Error('x failed')) : 'x'), backoff: () => '2s', compensate: async (ctx) => check(ctx) },
    y: async (ctx) => (await check(ctx), 'y'),
  })
  .loop('l', async (ctx) => (await check(ctx), ctx.iteration ?? 0), { until: (n, ctx) => n + 1 >= ctx.input.loops, maxIterations: 5, delay: '1m' })
  .route('r', (ctx) => ctx.input.route, {
    left: (b) => b.step('rl', async (ctx) => (await check(ctx), 'left')),
    right: (b) => b.step('rr', async (ctx) => (await check(ctx), 'right')),
  })
  .sleep('s', '1h')
  .waitForSignal('w', { timeout: '1d' })
  .child('c', kid, (ctx) => ({ from: ctx.runId }))
  .step('z', async (ctx) => {
    await check(ctx)
    if (ctx.input.doomed) throw new NonRetryableError('z refused')
    return 'z'
  })

const workflows: Workflow[] = [mixed, kid]

type Real = { runs: string[] }
type Command = fc.AsyncCommand<{ runs: number }, Real>

class Start implements Command {
  constructor(readonly input: Input) {}
  check = () => true
  async run(m: { runs: number }, r: Real) {
    r.runs.push(await t.start(mixed, this.input))
    m.runs++
  }
  toString = () => `start(${JSON.stringify(this.input)})`
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true
  async run() {
    await t.advance(this.ms)
  }
  toString = () => `advance(${this.ms})`
}

/** A command on the i-th run started: it may be refused (ended, not failed, …), never half-done. */
class OnRun implements Command {
  constructor(
    readonly i: number,
    readonly what: 'signal' | 'cancel' | 'retry' | 'fork',
  ) {}
  check = (m: { runs: number }) => m.runs > 0
  async run(_m: { runs: number }, r: Real) {
    const runId = r.runs[this.i % r.runs.length]!
    try {
      if (this.what === 'signal') await t.signal(runId, 'w', { n: this.i })
      if (this.what === 'cancel') await t.cancel(runId, { reason: 'model' })
      if (this.what === 'retry') await t.retry(runId)
      if (this.what === 'fork') r.runs.push(await t.fork(runId, { fromStep: (['p', 'r', 'z'] as const)[this.i % 3] }))
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code !== 'RUN_NOT_ACTIVE' && code !== 'INVALID_INPUT') throw error
    }
    await t.settle()
  }
  toString = () => `${this.what}(#${this.i})`
}

const input = fc.record<Input>({
  failA: fc.integer({ min: 0, max: 3 }),
  failX: fc.integer({ min: 0, max: 2 }),
  loops: fc.integer({ min: 1, max: 6 }),
  route: fc.constantFrom('left', 'right'),
  doomed: fc.boolean(),
})

const commands = fc.commands(
  [
    input.map((i) => new Start(i)),
    fc.constantFrom(500, 1_000, 60_000, 3_600_000, 86_400_000).map((ms) => new Advance(ms)),
    fc.tuple(fc.nat(20), fc.constantFrom('signal', 'signal', 'signal', 'cancel', 'retry', 'fork' as const)).map(([i, what]) => new OnRun(i, what)),
    fc.nat(20).map((i) => new OnRun(i, 'signal')),
  ],
  { maxCommands: 30 },
)

describe('one source of truth, model-based on memoryStore()', () => {
  it('hands every step the journal’s results, and stores the state the journal replays to, for every construct', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        t = testDurable({ workflows, now: new Date('2030-01-01T00:00:00Z') })
        mismatches.length = 0
        tries.clear()
        const real: Real = { runs: [] }
        try {
          await fc.asyncModelRun(() => ({ model: { runs: 0 }, real }), cmds)
          await t.settle()
          for (const runId of real.runs) {
            const run = await t.find(runId)
            statusesSeen.add(run.status)
            const journal = await t.journal(runId)
            expect(journal.map((e) => e.seq)).toEqual(journal.map((_, i) => i + 1))
            expectOnce(journal, runId)
            // A fresh claim rebuilds the run from the store: its journal replays to the stored state.
            const replayed = replay(mixed, journal.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })))
            const stored = (await t.store.getRun(runId))!.state
            const view = (s: typeof stored) => ({ runId, status: s.status, step: s.step, attempts: s.attempts, error: s.error })
            expect(view(replayed)).toEqual(view(stored))
            expect(run.results).toEqual(runResults(journal))
          }
          expect(mismatches).toEqual([])
        } finally {
          await t.close()
        }
      }),
      { numRuns: 60, seed: 20261203 },
    )
    expect([...stepsRan].sort()).toEqual(['a', 'k', 'l', 'p.x', 'p.y', 'rl', 'rr', 'z'])
    expect([...statusesSeen]).toEqual(expect.arrayContaining(['cancelled', 'completed', 'failed', 'waiting']))
  })
})

/** A completion or a compensation is journaled once per key. */
function expectOnce(journal: readonly JournalEntry[], runId: string): void {
  for (const kind of ['step_completed', 'compensated', 'timer_fired', 'signal_received', 'child_completed', 'route_selected'] as const) {
    const keys = journal.filter((e) => e.kind === kind).map((e) => e.stepKey)
    expect({ runId, kind, twice: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ runId, kind, twice: [] })
  }
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sorted(v)]))
}
