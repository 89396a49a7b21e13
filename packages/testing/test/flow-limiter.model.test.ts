/**
 * Model-based test of flow control (and priority) in the real stores — `memoryStore()`, PGlite
 * and a real PostgreSQL — driven by random interleavings of starts, claims (one at a time, by the
 * reconciler's scan, by the wake-up of a key's held-back runs), releases (complete, park, give
 * the lease back, renew it), worker crashes and jumps of time. Time is driven by hand: every
 * call gets `now`. It moves forward, but each worker's clock lags it by up to 30 ms, as a
 * worker's clock follows the database's from behind.
 *
 * After every command: (1) per concurrency key, never more than `limit` runs whose lease is
 * live (unexpired, holder not crashed with its liveness gone); (2) per rate key, never more
 * than `limit` first claims (begins) in any window of `period`, counted from the claims
 * themselves, not from the store's bookkeeping. At the end (3): once nobody crashes any more
 * and time moves on, one worker claims and completes every run — no slot leaks, no run lost
 * to a rate limit.
 *
 * Workers are honest: one acts on a run only while its lease on it is live. (A worker that
 * renews a lease after it expired gets it back, past the key's limit if another run took the
 * slot meanwhile: the stores fence renewals and commits on the owner, not the expiry.)
 *
 * To hunt with more cases: `LIMITER_SEED=7 LIMITER_RUNS=2000 npx vitest run <this file>`.
 */
import { FLOW_RECHECK_MS, initialState, defineWorkflow, isTerminal, LIVE_OWNER_MARK, type RunFlow, type RunRecord, type RunStore, type WorkerLiveness } from '@durable/core'
import { PGlite } from '@electric-sql/pglite'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { memoryStore } from '@durable/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'

const ORIGIN = Date.UTC(2030, 0, 1)
const at = (ms: number) => new Date(ORIGIN + ms)
const SHAPE = 'limiter-shape'
const STATE = initialState(defineWorkflow('limiter').step('a', async () => 1))
const WORKERS = 3

/** The limits of one case: two concurrency keys and two rate keys. */
interface Limits {
  readonly concurrency: readonly [number, number]
  readonly rate: readonly [{ limit: number; periodMs: number }, { limit: number; periodMs: number }]
}

type Command =
  | { type: 'start'; concurrency: 0 | 1 | null; rate: 0 | 1 | null; priority: number }
  | { type: 'claim'; worker: number; run: number; leaseMs: number }
  /** Two workers claim two runs at once (the newest but `run`, and the one before it). */
  | { type: 'race'; first: number; second: number; run: number; leaseMs: number }
  | { type: 'scan'; worker: number; leaseMs: number }
  | { type: 'wake'; worker: number; key: 0 | 1; leaseMs: number }
  | { type: 'finish'; worker: number; run: number; how: 'complete' | 'park' | 'release' | 'renew'; ms: number }
  | { type: 'crash'; worker: number }
  | { type: 'advance'; ms: number }

const key = fc.constantFrom(0 as const, 1 as const)
const worker = fc.nat(WORKERS - 1)
const leaseMs = fc.integer({ min: 300, max: 5_000 })
// Most runs under flow control, so that keys fill up.
const keyOrNone = (freq: number) => fc.option(key, { nil: null, freq })
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('start' as const), concurrency: keyOrNone(2), rate: keyOrNone(4), priority: fc.constantFrom(0, 0, 0, 1) }) },
  { weight: 6, arbitrary: fc.record({ type: fc.constant('claim' as const), worker, run: fc.nat(11), leaseMs }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('race' as const), first: worker, second: worker, run: fc.nat(11), leaseMs }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('scan' as const), worker, leaseMs }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('wake' as const), worker, key, leaseMs }) },
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('finish' as const),
      worker,
      run: fc.nat(11),
      how: fc.constantFrom('complete' as const, 'park' as const, 'release' as const, 'renew' as const),
      ms: fc.integer({ min: 0, max: 2_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('crash' as const), worker }) },
  // Small steps often (claims at nearly the same time), large ones past leases and periods too.
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 4_000 }) }),
    }),
  },
)
const rateLimit = fc.record({ limit: fc.integer({ min: 1, max: 3 }), periodMs: fc.integer({ min: 100, max: 3_000 }) })
const limits: fc.Arbitrary<Limits> = fc.record({
  concurrency: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  rate: fc.tuple(rateLimit, rateLimit),
})
// How far each worker's clock is behind the database's (see `Case.#claim`).
const lag = fc.integer({ min: 0, max: 100 })
const scenario = fc.record({ limits, lags: fc.tuple(lag, lag, lag), commands: fc.array(command, { minLength: 10, maxLength: 60, size: 'max' }) })

// Rate keys only, most claims by workers whose clocks lag differently: the claims that reach a
// key out of their clocks' order, which the mix above meets rarely.
const rateCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ type: fc.constant('start' as const), concurrency: fc.constant(null), rate: key, priority: fc.constant(0) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('claim' as const), worker, run: fc.nat(11), leaseMs }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('race' as const), first: worker, second: worker, run: fc.nat(11), leaseMs }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('scan' as const), worker, leaseMs }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 300 }) }) },
)
const rateScenario = fc.record({ limits, lags: fc.tuple(lag, lag, lag), commands: fc.array(rateCommand, { minLength: 5, maxLength: 30, size: 'max' }) })

/** A store to drive, and whether it shows workers' liveness (their leases free once they die). */
interface Backend {
  readonly store: RunStore
  /** A workflow name no other case of this store uses: cases share a schema, not their runs. */
  readonly workflowName: string
}

let cases = 0

/** What the property drove, over all its cases: proof that it reached the paths it is about. */
const seen = new Map<string, number>()
const saw = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1)

/** One case: the model of what happened, checked against the store after every command. */
class Case {
  readonly #store: RunStore
  readonly #workflowName: string
  readonly #limits: Limits
  readonly #definitions
  #now = 0
  readonly #runs: Array<{ id: string; concurrency: 0 | 1 | null; rate: 0 | 1 | null }> = []
  /** Each rate key's begins (a run's first claim), in order. */
  readonly #begins: [number[], number[]] = [[], []]
  readonly #begun = new Set<string>()
  /** The slot each run refused by its rate key reserved last. */
  readonly #reserved = new Map<string, number>()
  /** Each worker slot's current owner id; a crash gives the slot a new one. */
  readonly #owners: string[] = []
  readonly #liveness = new Map<string, WorkerLiveness>()
  /** Owners that crashed while holding liveness: the store sees them dead, their leases free. */
  readonly #dead = new Set<string>()
  /** What happened, for the failure message. */
  readonly log: string[] = []

  readonly #lags: readonly number[]

  constructor(backend: Backend, limits: Limits, lags: readonly number[]) {
    this.#store = backend.store
    this.#workflowName = backend.workflowName
    this.#limits = limits
    this.#lags = lags
    this.#definitions = [{ name: this.#workflowName, version: null, shapeHash: SHAPE }]
  }

  async open(): Promise<void> {
    for (let w = 0; w < WORKERS; w++) this.#owners.push(await this.#newOwner(w, 0))
  }

  /** Worker 0 and 1 hold liveness where the store can show it; worker 2 never does. */
  async #newOwner(slot: number, generation: number): Promise<string> {
    const plain = `${this.#workflowName}-w${slot}-g${generation}`
    if (slot === 2 || this.#store.holdLiveness === undefined) return plain
    const owner = `${plain}${LIVE_OWNER_MARK}`
    const liveness = await this.#store.holdLiveness(owner)
    expect(liveness.alive, `liveness of ${owner}`).toBe(true)
    this.#liveness.set(owner, liveness)
    return owner
  }

  async close(): Promise<void> {
    for (const liveness of this.#liveness.values()) await liveness.release()
  }

  async run(command: Command): Promise<void> {
    this.log.push(`t=${this.#now} ${JSON.stringify(command)}`)
    switch (command.type) {
      case 'start':
        return this.#start(command.concurrency, command.rate, command.priority)
      case 'claim': {
        // Counted from the newest run: small numbers (fast-check's bias) pick runs not claimed yet.
        const run = this.#runs[this.#runs.length - 1 - (command.run % Math.max(1, this.#runs.length))]
        if (run !== undefined) await this.#claim(command.worker, run.id, command.leaseMs)
        return
      }
      case 'race': {
        const n = this.#runs.length
        const [one, two] = [this.#runs[n - 1 - (command.run % Math.max(1, n))], this.#runs[n - 2 - (command.run % Math.max(1, n))]]
        if (one !== undefined) await this.#claim(command.first, one.id, command.leaseMs)
        if (two !== undefined) await this.#claim(command.second, two.id, command.leaseMs)
        return
      }
      case 'scan': {
        const ids = await this.#store.findDueRuns({ now: at(this.#now), definitions: this.#definitions, limit: 5 })
        for (const id of ids) await this.#claim(command.worker, id, command.leaseMs)
        return
      }
      case 'wake': {
        const heldBackOn = { workflowName: this.#workflowName, concurrencyKey: `c${command.key}` }
        const ids = await this.#store.findDueRuns({ now: at(this.#now), definitions: this.#definitions, limit: 5, heldBackOn })
        for (const id of ids) await this.#claim(command.worker, id, command.leaseMs)
        return
      }
      case 'finish': {
        const run = this.#runs[command.run % Math.max(1, this.#runs.length)]
        if (run !== undefined) await this.#finish(this.#owners[command.worker]!, run.id, command.how, command.ms)
        return
      }
      case 'crash': {
        const owner = this.#owners[command.worker]!
        const liveness = this.#liveness.get(owner)
        if (liveness !== undefined) {
          await liveness.release()
          this.#liveness.delete(owner)
          this.#dead.add(owner)
        }
        const generation = Number(owner.match(/-g(\d+)/)![1]) + 1
        this.#owners[command.worker] = await this.#newOwner(command.worker, generation)
        return
      }
      case 'advance':
        this.#now += command.ms
        return
    }
  }

  async #start(concurrency: 0 | 1 | null, rate: 0 | 1 | null, priority: number): Promise<void> {
    if (this.#runs.length >= 12) return
    const id = `${this.#workflowName}-r${String(this.#runs.length).padStart(2, '0')}`
    const flow: RunFlow = {
      priority,
      concurrency: concurrency === null ? null : { key: `c${concurrency}`, limit: this.#limits.concurrency[concurrency] },
      rate: rate === null ? null : { key: `r${rate}`, ...this.#limits.rate[rate] },
    }
    const { created } = await this.#store.createRun({
      id,
      workflowName: this.#workflowName,
      workflowVersion: null,
      shapeHash: SHAPE,
      inputJson: '{}',
      state: STATE,
      idempotencyKey: null,
      parentRunId: null,
      now: at(this.#now),
      flow,
    })
    expect(created).toBe(true)
    this.#runs.push({ id, concurrency, rate })
  }

  /**
   * A claim by worker slot `worker` (or the drain's `owner`), at its clock's `now`: a worker's
   * clock follows the database's from behind (the provider's `DatabaseClock`, by up to a round
   * trip), and claims do not reach a key's lock in the order of their `now` either — a worker
   * reads the time, then its claim waits while another one, which read the time a little later,
   * takes the lock first. Both come to claims whose `now` goes back a little.
   */
  async #claim(worker: number | string, runId: string, leaseMs: number): Promise<boolean> {
    const owner = typeof worker === 'string' ? worker : this.#owners[worker]!
    const now = Math.max(0, this.#now - (typeof worker === 'string' ? 0 : this.#lags[worker]!))
    const result = await this.#store.claimRun(runId, { owner, now: at(now), leaseUntil: at(now + leaseMs), definitions: this.#definitions })
    this.log.push(`  claim ${runId} by ${owner} at ${now}: ${result.claimed ? 'claimed' : `${result.reason} ${result.dueAt === null ? '' : result.dueAt.getTime() - ORIGIN}`}`)
    saw(result.claimed ? 'claimed' : `refused ${result.reason}${result.reason === 'limited' ? (result.dueAt === null ? ' (concurrency)' : ' (rate)') : ''}`)
    if (!result.claimed) {
      // A run refused by its rate key waits for a slot after now, never one already past.
      if (result.reason === 'limited' && result.dueAt !== null) this.#reserved.set(runId, result.dueAt.getTime() - ORIGIN)
      if (result.reason === 'limited' && result.dueAt !== null) expect(result.dueAt.getTime(), `${runId}'s reserved slot`).toBeGreaterThan(ORIGIN + now)
      return false
    }
    const run = this.#runs.find((r) => r.id === runId)!
    if (result.previousLeaseExpired) saw(this.#dead.size > 0 ? 'taken over (some worker dead)' : 'taken over')
    if (!this.#begun.has(runId)) {
      const slot = this.#reserved.get(runId)
      if (slot !== undefined) saw(slot < now ? 'begun after its reserved slot' : 'begun at its reserved slot')
      this.#begun.add(runId)
      // The begin as the store was told it: the limit holds over the times claims give.
      if (run.rate !== null) this.#begins[run.rate].push(now)
    }
    await this.check()
    return true
  }

  /** The worker gives the run's lease back one way or another — if it still holds it live. */
  async #finish(owner: string, runId: string, how: 'complete' | 'park' | 'release' | 'renew', ms: number): Promise<void> {
    const run = await this.#store.getRun(runId)
    if (run === undefined || run.leaseOwner !== owner || run.leaseExpiresAt === null || run.leaseExpiresAt.getTime() <= ORIGIN + this.#now) return
    const now = at(this.#now)
    if (how === 'renew') {
      expect(await this.#store.renewLeases(owner, [runId], at(this.#now + ms + 100)), 'a live lease renews').toEqual([runId])
    } else if (how === 'release') {
      await this.#store.releaseLeases(owner, [runId])
    } else {
      const status = how === 'complete' ? 'completed' : 'waiting'
      const dueAt = how === 'complete' ? null : at(this.#now + ms)
      expect(await this.#store.updateRun({ runId, owner, state: { ...run.state, status }, dueAt, leaseUntil: null, now }), 'a live lease commits').toBe(true)
    }
    this.log.push(`  ${how} ${runId} by ${owner}`)
  }

  /** The invariants (1) and (2), now. */
  async check(): Promise<void> {
    const runs = await this.#allRuns()
    expect(runs.length, 'runs listed').toBe(this.#runs.length)
    const now = ORIGIN + this.#now
    for (const k of [0, 1] as const) {
      const held = runs.filter(
        (run) =>
          !isTerminal(run.status) &&
          this.#runs.find((r) => r.id === run.id)?.concurrency === k &&
          run.leaseOwner !== null &&
          !this.#dead.has(run.leaseOwner) &&
          run.leaseExpiresAt !== null &&
          run.leaseExpiresAt.getTime() > now,
      )
      if (held.length === this.#limits.concurrency[k]) saw('concurrency key at its limit')
      expect(held.length, `runs of concurrency key c${k} held at t=${this.#now}: ${held.map((r) => `${r.id} by ${r.leaseOwner}`).join(', ')}`).toBeLessThanOrEqual(
        this.#limits.concurrency[k],
      )
    }
    for (const k of [0, 1] as const) {
      const { limit, periodMs } = this.#limits.rate[k]
      const begins = this.#begins[k]
      for (const end of begins) {
        const inWindow = begins.filter((t) => t > end - periodMs && t <= end)
        if (inWindow.length === limit) saw('rate window full')
        expect(inWindow.length, `begins of rate key r${k} (limit ${limit} per ${periodMs} ms) in (${end - periodMs}, ${end}]: ${inWindow.join(', ')}`).toBeLessThanOrEqual(limit)
      }
    }
  }

  async #allRuns(): Promise<RunRecord[]> {
    const { runs } = await this.#store.listRuns({ workflowName: this.#workflowName, limit: 100 })
    return runs
  }

  /**
   * (3): nobody crashes any more; one new worker, at steps past every lease, period and
   * `FLOW_RECHECK_MS`, claims what the reconciler's scan finds and completes it. Every run ends.
   */
  async drain(): Promise<void> {
    const owner = await this.#newOwner(0, 1_000)
    const step = Math.max(3_000, FLOW_RECHECK_MS, ...this.#limits.rate.map((r) => r.periodMs)) + 1
    const rounds = 3 * this.#runs.length + 5
    for (let round = 0; round < rounds; round++) {
      const active = (await this.#allRuns()).filter((run) => !isTerminal(run.status))
      if (active.length === 0) return
      this.#now += step
      this.log.push(`drain t=${this.#now}`)
      const ids = await this.#store.findDueRuns({ now: at(this.#now), definitions: this.#definitions, limit: 100 })
      for (const id of ids) {
        if (await this.#claim(owner, id, 1_000)) await this.#finish(owner, id, 'complete', 0)
      }
    }
    const left = (await this.#allRuns()).filter((run) => !isTerminal(run.status))
    expect(
      left.map((run) => `${run.id} ${run.status} due ${run.dueAt === null ? null : run.dueAt.getTime() - ORIGIN} lease ${run.leaseOwner}`),
      `runs not ended after ${rounds} rounds of ${step} ms`,
    ).toEqual([])
  }
}

/** Runs `commands` on `store`, checking after each one, then drains. */
async function play(store: RunStore, input: { limits: Limits; lags: readonly number[]; commands: readonly Command[] }): Promise<void> {
  const one = new Case({ store, workflowName: `wf${++cases}` }, input.limits, input.lags)
  await one.open()
  try {
    for (const command of input.commands) {
      await one.run(command)
      await one.check()
    }
    await one.drain()
  } catch (error) {
    if (error instanceof Error) error.message += `\n${one.log.join('\n')}`
    throw error
  } finally {
    await one.close()
  }
}

let database: TestDatabase | undefined
let pglite: PGlite | undefined
const stores: PostgresStore[] = []

beforeAll(async () => {
  database = await createTestDatabase('limiter')
  pglite = new PGlite()
  await pglite.waitReady
})

afterAll(async () => {
  for (const store of stores) await store.close()
  await pglite?.close()
  await database?.drop()
})

async function openPostgres(kind: 'pg' | 'pglite', schema: string): Promise<PostgresStore> {
  const store = kind === 'pg' ? postgresStore({ connectionString: database!.url, schema, poolSize: 4 }) : postgresStore({ pglite: pglite!, schema })
  stores.push(store)
  await store.migrate()
  return store
}

/** Cases per property: `numRuns` of the whole mix, `rateRuns` of rate keys only. */
const backends: Array<{ name: string; numRuns: number; rateRuns: number; open: () => Promise<RunStore> }> = [
  { name: 'memoryStore', numRuns: 500, rateRuns: 300, open: async () => memoryStore() },
  { name: 'PGlite', numRuns: 80, rateRuns: 80, open: () => openPostgres('pglite', 'limiter_pglite') },
  { name: 'PostgreSQL', numRuns: 100, rateRuns: 100, open: () => openPostgres('pg', 'limiter_pg') },
]

const settings = (numRuns: number) => ({ seed: Number(process.env.LIMITER_SEED ?? 1_733_250_000), numRuns: Number(process.env.LIMITER_RUNS ?? numRuns) })

describe.each(backends)('flow limits on $name', ({ name, numRuns, rateRuns, open }) => {
  it('counts a run claimed after its reserved rate slot at its real begin', async () => {
    // limit 1 per 1000 ms. x begins at 0; a and b are refused and reserve the slots at 1000 and
    // 2000. a is claimed late, at 1500: it begins then, so b may not begin at 2000 (1500 is in
    // (1000, 2000]); it reserves 2500 — a period after a's real begin — and begins there.
    const store = await open()
    const workflowName = `wf${++cases}`
    const definitions = [{ name: workflowName, version: null, shapeHash: SHAPE }]
    const flow: RunFlow = { priority: 0, concurrency: null, rate: { key: 'api', limit: 1, periodMs: 1_000 } }
    const [x, a, b] = ['x', 'a', 'b'].map((name) => `${workflowName}-${name}`) as [string, string, string]
    for (const id of [x, a, b]) {
      await store.createRun({ id, workflowName, workflowVersion: null, shapeHash: SHAPE, inputJson: '{}', state: STATE, idempotencyKey: null, parentRunId: null, now: at(0), flow })
    }
    const claim = (id: string, ms: number) => store.claimRun(id, { owner: 'w1', now: at(ms), leaseUntil: at(ms + 100), definitions })
    expect(await claim(x, 0), 'x').toMatchObject({ claimed: true })
    expect(await claim(a, 10), 'a, in x’s period').toEqual({ claimed: false, reason: 'limited', dueAt: at(1_000) })
    expect(await claim(b, 20), 'b, in x’s period').toEqual({ claimed: false, reason: 'limited', dueAt: at(2_000) })
    expect(await claim(a, 1_500), 'a, late for its slot').toMatchObject({ claimed: true })
    expect(await claim(b, 2_000), 'b at its slot, within a period of a’s real begin').toEqual({ claimed: false, reason: 'limited', dueAt: at(2_500) })
    expect(await claim(b, 2_499), 'b before its new slot').toMatchObject({ claimed: false, reason: 'notDue' })
    expect(await claim(b, 2_500), 'b at its new slot').toMatchObject({ claimed: true })
  })

  it('counts a begin later than the claim’s `now`: claims reach the key’s lock out of their clocks’ order', async () => {
    // limit 1 per 1000 ms. A worker reads the time (90), another reads it later (100) and takes
    // the key's lock first: a begins at 100. b's claim at 90 must see it, though 100 > 90.
    const store = await open()
    const workflowName = `wf${++cases}`
    const definitions = [{ name: workflowName, version: null, shapeHash: SHAPE }]
    const flow: RunFlow = { priority: 0, concurrency: null, rate: { key: 'api', limit: 1, periodMs: 1_000 } }
    const [a, b] = ['a', 'b'].map((name) => `${workflowName}-${name}`) as [string, string]
    for (const id of [a, b]) {
      await store.createRun({ id, workflowName, workflowVersion: null, shapeHash: SHAPE, inputJson: '{}', state: STATE, idempotencyKey: null, parentRunId: null, now: at(0), flow })
    }
    const claim = (id: string, ms: number) => store.claimRun(id, { owner: 'w1', now: at(ms), leaseUntil: at(ms + 100), definitions })
    expect(await claim(a, 100), 'a').toMatchObject({ claimed: true })
    expect(await claim(b, 90), 'b, claimed second at an earlier now').toEqual({ claimed: false, reason: 'limited', dueAt: at(1_100) })
    expect(await claim(b, 1_099), 'b before its slot').toMatchObject({ claimed: false, reason: 'notDue' })
    expect(await claim(b, 1_100), 'b at its slot').toMatchObject({ claimed: true })
  })

  it('never lets more than `limit` runs hold a concurrency key, nor begin per rate period, and ends every run', { timeout: 120_000 }, async () => {
    const store = await open()
    await fc.assert(
      fc.asyncProperty(scenario, (input) => play(store, input)),
      settings(numRuns),
    )
    // Proof that the cases reached what they are about, not only quiet paths.
    const reached = [...seen.keys()]
    seen.clear()
    expect(reached).toEqual(
      expect.arrayContaining([
        'concurrency key at its limit',
        'rate window full',
        'refused limited (concurrency)',
        'refused limited (rate)',
        'begun after its reserved slot',
        'taken over',
        'refused outranked',
        ...(name === 'PostgreSQL' ? ['taken over (some worker dead)'] : []),
      ]),
    )
  })

  it('never lets more than `limit` runs of a rate key begin per period, whatever order claims come in', { timeout: 120_000 }, async () => {
    const store = await open()
    await fc.assert(
      fc.asyncProperty(rateScenario, (input) => play(store, input)),
      settings(rateRuns),
    )
    seen.clear()
  })
})
