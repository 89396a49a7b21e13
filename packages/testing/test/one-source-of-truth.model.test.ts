/**
 * Model-based test of the runtime on `memoryStore()` with two workers: random starts, failures,
 * signals, cancels, retries, forks, jumps of time, duplicate jobs — between steps and in the
 * middle of one — and crashes and stalls of the worker running a step or a compensator
 * (`fc.commands`; a stalled worker resumes later, its leases long gone).
 * Every handler compares what the worker hands it — `ctx.results` — with what a fresh claim
 * would rebuild from the store at that moment (`runResults` of the journal), and checks that its
 * step was not journaled as done already. After every command each run's stored state is
 * compared with the state its journal replays to, its journal is checked for double
 * completions, and each journaled step must have run. At the end every run ends once time is
 * skipped far enough. For every construct: step, parallel, loop, route, sleep, signal wait,
 * child, compensation.
 */
import { defineWorkflow, isTerminal, NonRetryableError, notStarted, replay, runResults, type Json, type JournalEntry, type Workflow } from '@durable/core'
import { silentLogger } from '@durable/provider'
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

type Handled = { runId: string; stepName: string; results: unknown; iteration?: number }
type Chaos = 'crash' | 'pause' | 'duplicate'

/** What went wrong, as the handlers and checks saw it: must stay empty. */
const mismatches: string[] = []
/** Steps whose handlers ran, run statuses reached and chaos that struck, over the whole property: proof it drove every path. */
const stepsRan = new Set<string>()
const statusesSeen = new Set<string>()
const struck = { crash: 0, pause: 0, duplicate: 0, leaseExpired: new Set<string>() }
/** Tries per run and step, as the workflow counts them to fail on purpose. */
const tries = new Map<string, number>()
/** Handler calls per run and journal key (`step:key` or `compensation:key`): the side effects. */
const effects = new Map<string, number>()
/** Chaos armed to strike at the `countdown`-th handler call from now. */
let armed: Array<{ what: Chaos; countdown: number }> = []
/** Workers stalled mid-step, to resume later. */
let paused: Array<{ resume(): void }> = []
let t: TestDurable

const stepKeyOf = (ctx: Handled) => (ctx.iteration === undefined ? ctx.stepName : `${ctx.stepName}#${ctx.iteration}`)

/**
 * What every handler does first: counts its side effect, checks that the step is not journaled
 * as done already and that the worker's view of the results is the journal's, at the moment the
 * step runs; then lets armed chaos strike — its worker crashes (this try's outcome is lost),
 * stalls (its outcome comes late, when `Resume` says) or a duplicate job for the run goes out
 * while it runs.
 */
async function handle(ctx: Handled, kind: 'step' | 'compensation' = 'step'): Promise<void> {
  stepsRan.add(kind === 'step' ? ctx.stepName : `undo ${ctx.stepName}`)
  const key = stepKeyOf(ctx)
  effects.set(`${ctx.runId}:${kind}:${key}`, (effects.get(`${ctx.runId}:${kind}:${key}`) ?? 0) + 1)
  const journal = await t.journal(ctx.runId)
  const done = kind === 'step' ? ['step_completed', 'iteration_completed'] : ['compensated']
  if (journal.some((e) => e.stepKey === key && done.includes(e.kind))) mismatches.push(`${ctx.runId}/${key}: ${kind} runs again, journaled as done`)
  const truth = runResults(journal)
  const held = JSON.parse(JSON.stringify(ctx.results)) as Json
  if (JSON.stringify(sorted(held)) !== JSON.stringify(sorted(truth))) {
    mismatches.push(`${ctx.runId}/${key}: handed ${JSON.stringify(held)}, journal says ${JSON.stringify(truth)}`)
  }
  for (const chaos of armed) chaos.countdown--
  const striking = armed.filter((chaos) => chaos.countdown <= 0)
  armed = armed.filter((chaos) => chaos.countdown > 0)
  for (const { what } of striking) {
    struck[what]++
    if (what === 'crash') await t.crashWorker(ctx.runId)
    if (what === 'pause') paused.push(await t.pauseWorker(ctx.runId))
    if (what === 'duplicate') await t.queue.dispatch({ runId: ctx.runId })
  }
}

function attempt(ctx: { runId: string; stepName: string }, key = ctx.stepName): number {
  const n = (tries.get(`${ctx.runId}:${key}`) ?? 0) + 1
  tries.set(`${ctx.runId}:${key}`, n)
  return n
}

const kid = defineWorkflow<{ from: string }>('kid').step('k', async (ctx) => (await handle(ctx), `kid of ${ctx.input.from}`))

const mixed = defineWorkflow<Input>('mixed')
  .step(
    'a',
    async (ctx) => {
      await handle(ctx)
      if (attempt(ctx) <= ctx.input.failA) throw new Error('a failed')
      return 'a'
    },
    { maxAttempts: 3, backoff: () => '1s', compensate: async (ctx) => handle(ctx, 'compensation') },
  )
  .parallel('p', {
    x: {
      handler: async (ctx) => (await handle(ctx), attempt(ctx, 'x') <= ctx.input.failX ? Promise.reject(new Error('x failed')) : 'x'),
      backoff: () => '2s',
      compensate: async (ctx) => handle(ctx, 'compensation'),
    },
    y: async (ctx) => (await handle(ctx), 'y'),
  })
  .loop('l', async (ctx) => (await handle(ctx), ctx.iteration ?? 0), { until: (n, ctx) => n + 1 >= ctx.input.loops, maxIterations: 5, delay: '1m' })
  .route('r', (ctx) => ctx.input.route, {
    left: (b) => b.step('rl', async (ctx) => (await handle(ctx), 'left'), { compensate: async (ctx) => handle(ctx, 'compensation') }),
    right: (b) => b.step('rr', async (ctx) => (await handle(ctx), 'right')),
  })
  .sleep('s', '1h')
  .waitForSignal('w', { timeout: '1d' })
  .child('c', kid, (ctx) => ({ from: ctx.runId }))
  .step('z', async (ctx) => {
    await handle(ctx)
    if (ctx.input.doomed) throw new NonRetryableError('z refused')
    return 'z'
  })

const workflows: Workflow[] = [mixed, kid]

type Real = { runs: string[]; forkOf: Map<string, string> }
type Model = { runs: number }
type Command = fc.AsyncCommand<Model, Real>

class Start implements Command {
  constructor(readonly input: Input) {}
  check = () => true
  async run(m: Model, r: Real) {
    r.runs.push(await t.start(mixed, this.input))
    m.runs++
    await t.settle()
    await verify(r)
  }
  toString = () => `start(${JSON.stringify(this.input)})`
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true
  async run(_m: Model, r: Real) {
    await t.advance(this.ms)
    await verify(r)
  }
  toString = () => `advance(${this.ms})`
}

/** Chaos that strikes in the middle of the `after`-th handler call from now, whichever it is. */
class Arm implements Command {
  constructor(
    readonly what: Chaos,
    readonly after: number,
  ) {}
  check = () => true
  async run() {
    armed.push({ what: this.what, countdown: this.after })
  }
  toString = () => `arm(${this.what} in ${this.after})`
}

/** Stalled workers go on, late: what they commit now must be refused where the run changed hands. */
class Resume implements Command {
  check = () => true
  async run(_m: Model, r: Real) {
    for (const worker of paused.splice(0)) worker.resume()
    await t.settle()
    await verify(r)
  }
  toString = () => 'resume'
}

/** A command on the i-th run started: it may be refused (ended, not failed, …), never half-done. */
class OnRun implements Command {
  constructor(
    readonly i: number,
    readonly what: 'signal' | 'cancel' | 'retry' | 'fork' | 'duplicate',
  ) {}
  check = (m: Model) => m.runs > 0
  async run(_m: Model, r: Real) {
    const runId = r.runs[this.i % r.runs.length]!
    try {
      if (this.what === 'signal') await t.signal(runId, 'w', { n: this.i })
      if (this.what === 'cancel') await t.cancel(runId, { reason: 'model' })
      if (this.what === 'retry') await t.retry(runId)
      if (this.what === 'fork') {
        const forked = await t.fork(runId, { fromStep: (['p', 'r', 'z'] as const)[this.i % 3] })
        r.runs.push(forked)
        r.forkOf.set(forked, runId)
      }
      // Stray wake-ups, at once: for a run running, parked, ended or due.
      if (this.what === 'duplicate') await Promise.all([t.queue.dispatch({ runId }), t.queue.dispatch({ runId })])
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code !== 'RUN_NOT_ACTIVE' && code !== 'INVALID_INPUT') throw error
    }
    await t.settle()
    await verify(r)
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
    fc.tuple(fc.nat(20), fc.constantFrom('signal', 'signal', 'signal', 'cancel', 'retry', 'fork', 'duplicate' as const)).map(([i, what]) => new OnRun(i, what)),
    fc.nat(20).map((i) => new OnRun(i, 'signal')),
    fc.tuple(fc.constantFrom<Chaos>('crash', 'pause', 'duplicate'), fc.integer({ min: 1, max: 8 })).map(([what, after]) => new Arm(what, after)),
    fc.constant(new Resume()),
  ],
  { maxCommands: 30 },
)

describe('one source of truth, model-based on memoryStore()', () => {
  it('hands every step the journal’s results, stores the state the journal replays to, and journals each step once, through crashes, stalls and duplicate jobs, for every construct', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        t = testDurable({ workflows, workers: 2, logger: silentLogger, now: new Date('2030-01-01T00:00:00Z') })
        mismatches.length = 0
        tries.clear()
        effects.clear()
        armed = []
        paused = []
        const real: Real = { runs: [], forkOf: new Map() }
        try {
          await fc.asyncModelRun(() => ({ model: { runs: 0 }, real }), cmds)
          // Every run ends once time is skipped far enough: crashed and stalled workers' leases
          // expire, and signal waits time out. (Chaos still armed strikes on the way.)
          for (let round = 0; round < 5 && !(await allEnded()); round++) await t.advance('2d')
          await new Resume().run({ runs: 0 }, real)
          await verify(real)
          const runs = (await t.list({ limit: 1000 })).runs
          expect(runs.filter((run) => !isTerminal(run.status)).map((run) => `${run.id} ${run.status}`)).toEqual([])
          for (const run of runs) statusesSeen.add(run.status)
        } finally {
          await t.close()
        }
      }),
      { numRuns: 300, seed: 20261203 },
    )
    expect([...stepsRan].sort()).toEqual(['a', 'k', 'l', 'p.x', 'p.y', 'rl', 'rr', 'undo a', 'undo p.x', 'undo rl', 'z'])
    expect([...statusesSeen]).toEqual(expect.arrayContaining(['cancelled', 'completed', 'failed']))
    expect(struck.crash, 'crashes mid-step').toBeGreaterThan(0)
    expect(struck.pause, 'stalls mid-step').toBeGreaterThan(0)
    expect(struck.duplicate, 'duplicate jobs mid-step').toBeGreaterThan(0)
    expect(struck.leaseExpired.size, 'tries lost to a crash or stall, journaled as LEASE_EXPIRED').toBeGreaterThan(0)
  })
})

async function allEnded(): Promise<boolean> {
  return (await t.list({ limit: 1000 })).runs.every((run) => isTerminal(run.status))
}

/** Checks every run, children and forks too, against its journal: what a fresh claim would rebuild. */
async function verify(real: Real): Promise<void> {
  expect(mismatches).toEqual([])
  for (const { id: runId, workflowName } of (await t.list({ limit: 1000 })).runs) {
    const journal = await t.journal(runId)
    expect(journal.map((e) => e.seq)).toEqual(journal.map((_, i) => i + 1))
    expectOnce(journal, runId)
    expectRan(journal, runId, real)
    for (const e of journal) if (e.error?.code === 'LEASE_EXPIRED') struck.leaseExpired.add(`${runId}#${e.seq}`)
    // A fresh claim rebuilds the run from the store: its journal replays to the stored state.
    const replayed = replay(
      workflowName === 'kid' ? kid : mixed,
      journal.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    )
    const stored = (await t.store.getRun(runId))!.state
    // A run claimed but not started yet is `running` in the store (the claim says so) and
    // `pending` in the replay: core reads "not started" from the step, and decides the same.
    const view = (s: typeof stored) => ({ runId, status: notStarted(s) ? 'not started' : s.status, step: s.step, attempts: s.attempts, error: s.error })
    expect(view(replayed)).toEqual(view(stored))
    expect((await t.find(runId)).results).toEqual(runResults(journal))
  }
}

/** A completion or a compensation is journaled once per key. */
function expectOnce(journal: readonly JournalEntry[], runId: string): void {
  for (const kind of ['step_completed', 'iteration_completed', 'compensated', 'timer_fired', 'signal_received', 'child_completed', 'route_selected'] as const) {
    const keys = journal.filter((e) => e.kind === kind).map((e) => e.stepKey)
    expect({ runId, kind, twice: keys.filter((k, i) => keys.indexOf(k) !== i) }).toEqual({ runId, kind, twice: [] })
  }
}

/** A step or compensator journaled as done ran at least once: in this run, or in the run it was forked from. */
function expectRan(journal: readonly JournalEntry[], runId: string, real: Real): void {
  const ran = (kind: string, key: string) => {
    let calls = 0
    for (let id: string | undefined = runId; id !== undefined; id = real.forkOf.get(id)) calls += effects.get(`${id}:${kind}:${key}`) ?? 0
    return calls
  }
  const unrun = journal
    .filter(
      (e) =>
        ((e.kind === 'step_completed' || e.kind === 'iteration_completed') && ran('step', e.stepKey) === 0) || (e.kind === 'compensated' && ran('compensation', e.stepKey) === 0),
    )
    .filter((e) => !['r', 'c'].includes(e.stepName)) // a route's choice and a child's result are not handlers
    .map((e) => `${e.kind} ${e.stepKey}`)
  expect({ runId, unrun }).toEqual({ runId, unrun: [] })
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, sorted(v)]),
  )
}
