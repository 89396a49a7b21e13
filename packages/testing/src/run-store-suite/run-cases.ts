import { describe, expect, it } from 'vitest'
import { at, completed, definitions, insertRun, lease, newId, newRun, SHAPE, stateOf, update, type SuiteContext } from './fixtures.js'

const FLOW = { priority: 5, concurrency: { key: 'tenant-1', limit: 2 }, rate: { key: 'api', limit: 10, periodMs: 60_000 } }

/** Cases of `RunRepository`: createRun, getRun, listRuns, stats, loadShape. */
export function runCases({ store }: SuiteContext): void {
  describe('runs', () => {
    it('createRun inserts a run that is due at once and unleased, and getRun reads it back', async () => {
      const id = newId()
      const created = await store().createRun(newRun({ id, workflowName: 'checkout', inputJson: '{"sku":"A1","qty":2}', parentRunId: 'parent-1', now: at(5) }))
      expect(created, 'createRun of a new run').toEqual({ runId: id, created: true })
      expect(await store().getRun(id), 'getRun of the new run').toEqual({
        id,
        workflowName: 'checkout',
        workflowVersion: null,
        shapeHash: SHAPE,
        status: 'pending',
        input: { sku: 'A1', qty: 2 },
        state: stateOf(),
        error: null,
        parentRunId: 'parent-1',
        idempotencyKey: null,
        dueAt: at(5),
        leaseOwner: null,
        leaseExpiresAt: null,
        cancelRequest: null,
        deadlineAt: null,
        createdAt: at(5),
        updatedAt: at(5),
        flow: { priority: 0, concurrency: null, rate: null },
      })
      expect(await store().getRun(newId()), 'getRun of an unknown id').toBeUndefined()
    })

    it('keeps a run’s deadline as given: getRun, claimRun and listRuns return it', async () => {
      const id = await insertRun(store(), { now: at(0), deadlineAt: at(1_500) })
      expect((await store().getRun(id))?.deadlineAt, 'getRun of a run with a deadline').toEqual(at(1_500))
      const claim = await store().claimRun(id, { owner: 'w1', now: at(10), leaseUntil: at(30_010), definitions: definitions('wf') })
      expect(claim.claimed && claim.run.deadlineAt, 'the claimed run').toEqual(at(1_500))
      expect((await store().listRuns({ limit: 10 })).runs.find((run) => run.id === id)?.deadlineAt, 'the listed run').toEqual(at(1_500))
      const many = await store().createRuns([newRun({ deadlineAt: at(7) }), newRun()])
      expect((await store().getRun(many[0]!.runId))?.deadlineAt, 'createRuns keeps each run’s deadline').toEqual(at(7))
      expect((await store().getRun(many[1]!.runId))?.deadlineAt, 'a run started without one has none').toBeNull()
      // A debounced start merges into the pending run: with the later start's input, its deadline too.
      const debounced = (now: number, deadline: number) => newRun({ now: at(now), debounce: { key: 'deadline-d', until: at(now + 1_000) }, deadlineAt: at(deadline) })
      const first = await store().createRun(debounced(0, 5_000))
      const merged = await store().createRun(debounced(500, 6_000))
      expect(merged.runId, 'the second debounced start merged into the first').toBe(first.runId)
      expect((await store().getRun(first.runId))?.deadlineAt, 'the merged run’s deadline').toEqual(at(6_000))
    })

    it('returns the first run for a repeated idempotency key, without calling the callback', async () => {
      const first = await insertRun(store(), { idempotencyKey: 'order-42' })
      let called = false
      const again = await store().createRun(newRun({ idempotencyKey: 'order-42', now: at(9) }), async () => {
        called = true
      })
      expect(again, 'second createRun with the same key').toEqual({ runId: first, created: false })
      expect(called, 'the callback of a start that created nothing was called').toBe(false)
      expect(
        (await store().listRuns({ limit: 10 })).runs.map((run) => run.id),
        'runs after two starts with one key',
      ).toEqual([first])
      const other = await store().createRun(newRun({ workflowName: 'other', idempotencyKey: 'order-42' }))
      expect(other.created, 'the same key for another workflow starts a run: keys are per workflow').toBe(true)
    })

    it('writes nothing when the callback of createRun throws, and frees the key', async () => {
      const run = newRun({ idempotencyKey: 'k' })
      await expect(
        store().createRun(run, async () => {
          throw new Error('queue refused the job (expected by the test)')
        }),
        'createRun whose callback throws',
      ).rejects.toThrow('queue refused the job')
      expect(await store().getRun(run.id), 'the run of a createRun whose callback threw').toBeUndefined()
      expect((await store().createRun(newRun({ idempotencyKey: 'k' }))).created, 'the key of a rolled-back createRun is free again').toBe(true)
    })

    it('refuses a run id that exists already', async () => {
      const id = await insertRun(store())
      await expect(store().createRun(newRun({ id })), 'createRun with a taken id').rejects.toBeDefined()
      expect((await store().getRun(id))?.input, 'the first run after a refused duplicate id').toEqual({ n: 1 })
    })

    it('round-trips unicode and nested JSON exactly, and never shares objects with the caller', async () => {
      const input = {
        text: 'héllo wörld — 日本語 🎉 \u2028 "quotes" \\ back\nslash',
        nested: { list: [1, -2.5, 0.30000000000000004, 1e-7, 1.5e300, true, null, [[]], {}], empty: '' },
        ['kéy 🔑']: { deep: { deeper: [{ a: [{ b: 'c' }] }] } },
      }
      const id = await insertRun(store(), { inputJson: JSON.stringify(input) })
      const read = await store().getRun(id)
      expect(read?.input, 'input read back').toStrictEqual(input)
      ;(read!.input as { text: string }).text = 'changed by the caller'
      expect((await store().getRun(id))?.input, 'input after the caller changed its copy').toStrictEqual(input)
      const scalar = await insertRun(store(), { inputJson: '"just a string"' })
      expect((await store().getRun(scalar))?.input, 'a string input').toBe('just a string')
    })

    it('creates a run already leased (a local start) and one with copied journal entries (a fork)', async () => {
      const leased = await insertRun(store(), { lease: { owner: 'w1', until: at(30_000) } })
      expect(await store().getRun(leased), 'a run created with a lease').toMatchObject({ status: 'running', leaseOwner: 'w1', leaseExpiresAt: at(30_000), dueAt: at(0) })
      expect(await store().claimRun(leased, { owner: 'w2', now: at(1), leaseUntil: at(2), definitions: definitions('wf') }), 'claim of a run created leased').toMatchObject({
        claimed: false,
        reason: 'leased',
      })
      const fork = await insertRun(store(), { journal: [completed('a', 'A'), completed('b', 'B')], lease: { owner: 'w1', until: at(30_000) } })
      expect(
        (await store().journal(fork)).map((e) => [e.seq, e.stepKey, e.result]),
        'journal of a forked run',
      ).toEqual([
        [1, 'a', 'A'],
        [2, 'b', 'B'],
      ])
      await store().updateRun(update(fork, { journal: completed('c', 'C') }))
      expect(
        (await store().journal(fork)).map((e) => e.seq),
        'seq after the copied entries',
      ).toEqual([1, 2, 3])
    })

    it('createRuns inserts several runs in one transaction, in order, honouring idempotency keys', async () => {
      const existing = await insertRun(store(), { idempotencyKey: 'k-old' })
      const runs = [newRun({ idempotencyKey: 'k1' }), newRun({ idempotencyKey: 'k-old' }), newRun({ idempotencyKey: 'k1' }), newRun({ inputJson: 'null', flow: FLOW })]
      let seen: readonly string[] | undefined
      const results = await store().createRuns(runs, async (_tx, created) => {
        seen = created
      })
      expect(results, 'what createRuns returns').toEqual([
        { runId: runs[0]!.id, created: true },
        { runId: existing, created: false },
        { runId: runs[0]!.id, created: false },
        { runId: runs[3]!.id, created: true },
      ])
      expect(seen, 'the ids inTransaction got').toEqual([runs[0]!.id, runs[3]!.id])
      expect(await store().getRun(runs[2]!.id), 'a run whose key an earlier one of the call took').toBeUndefined()
      expect(await store().getRun(runs[3]!.id), 'a run createRuns created').toMatchObject({
        workflowName: 'wf',
        input: null,
        status: 'pending',
        state: stateOf(),
        dueAt: at(0),
        leaseOwner: null,
        flow: FLOW,
      })
    })

    it('createRuns writes nothing when inTransaction throws', async () => {
      const runs = [newRun({ idempotencyKey: 'a' }), newRun()]
      await expect(
        store().createRuns(runs, async () => {
          throw new Error('refused (expected by the test)')
        }),
        'createRuns whose inTransaction throws',
      ).rejects.toThrow('refused')
      for (const run of runs) expect(await store().getRun(run.id), `run ${run.id} of a rolled-back createRuns`).toBeUndefined()
      expect((await store().createRuns([newRun({ idempotencyKey: 'a' })]))[0]?.created, 'the key of a rolled-back createRuns is free again').toBe(true)
    })

    it('keeps a definition shape once, and reads it back by its hash', async () => {
      await insertRun(store(), { shapeHash: 'h1', shape: 'step:a > step:b' })
      await insertRun(store(), { shapeHash: 'h1', shape: 'step:a > step:b' })
      expect(await store().loadShape('h1'), 'loadShape of a recorded shape').toBe('step:a > step:b')
      expect(await store().loadShape('h2'), 'loadShape of an unknown hash').toBeUndefined()
    })

    it('listRuns pages through runs newest first', async () => {
      const ids: string[] = []
      for (let i = 0; i < 7; i++) ids.push(await insertRun(store(), { now: at(i) }))
      const newestFirst = [...ids].reverse()
      const page1 = await store().listRuns({ limit: 3 })
      expect(
        page1.runs.map((run) => run.id),
        'page 1',
      ).toEqual(newestFirst.slice(0, 3))
      expect(page1.nextCursor, 'nextCursor of page 1').toBe(newestFirst[2])
      const page2 = await store().listRuns({ limit: 3, cursor: page1.nextCursor! })
      expect(
        page2.runs.map((run) => run.id),
        'page 2',
      ).toEqual(newestFirst.slice(3, 6))
      const page3 = await store().listRuns({ limit: 3, cursor: page2.nextCursor! })
      expect(
        page3.runs.map((run) => run.id),
        'page 3',
      ).toEqual(newestFirst.slice(6))
      expect(page3, 'the last page').not.toHaveProperty('nextCursor')
      expect(await store().listRuns({ limit: 7 }), 'a page that ends at the last run').not.toHaveProperty('nextCursor')
      expect(page1.runs[0], 'the newest run of page 1').toMatchObject({ workflowName: 'wf', status: 'pending', createdAt: at(6) })
    })

    it('listRuns filters by workflow and status, across pages', async () => {
      const a1 = await insertRun(store(), { workflowName: 'a' })
      const b1 = await insertRun(store(), { workflowName: 'b' })
      const a2 = await insertRun(store(), { workflowName: 'a' })
      const a3 = await insertRun(store(), { workflowName: 'a' })
      for (const id of [a1, b1, a3]) {
        await store().claimRun(id, { owner: 'w1', now: at(0), leaseUntil: at(1_000), definitions: definitions('a', 'b') })
        await store().updateRun(update(id, { state: stateOf('completed'), dueAt: null, leaseUntil: null, now: at(1) }))
      }
      const ids = async (query: Parameters<ReturnType<typeof store>['listRuns']>[0]) => (await store().listRuns(query)).runs.map((run) => run.id)
      expect(await ids({ limit: 10, workflowName: 'a' }), 'runs of workflow a').toEqual([a3, a2, a1])
      expect(await ids({ limit: 10, status: 'completed' }), 'completed runs').toEqual([a3, b1, a1])
      expect(await ids({ limit: 10, status: 'pending' }), 'pending runs').toEqual([a2])
      expect(await ids({ limit: 10, workflowName: 'a', status: 'completed' }), 'completed runs of a').toEqual([a3, a1])
      const first = await store().listRuns({ limit: 1, workflowName: 'a', status: 'completed' })
      const second = await store().listRuns({ limit: 1, workflowName: 'a', status: 'completed', cursor: first.nextCursor! })
      expect(
        second.runs.map((run) => run.id),
        'second filtered page',
      ).toEqual([a1])
      expect(second, 'the last filtered page').not.toHaveProperty('nextCursor')
      expect(await ids({ limit: 10, workflowName: 'nope' }), 'runs of an unknown workflow').toEqual([])
    })

    it('listRuns finds the runs started with an idempotency key, in every workflow', async () => {
      const a = await insertRun(store(), { workflowName: 'a', idempotencyKey: 'order-7' })
      await insertRun(store(), { workflowName: 'a', idempotencyKey: 'order-8' })
      await insertRun(store(), { workflowName: 'a' })
      const b = await insertRun(store(), { workflowName: 'b', idempotencyKey: 'order-7' })
      const ids = async (query: Parameters<ReturnType<typeof store>['listRuns']>[0]) => (await store().listRuns(query)).runs.map((run) => run.id)
      expect(await ids({ limit: 10, idempotencyKey: 'order-7' }), 'runs with key order-7').toEqual([b, a])
      expect(await ids({ limit: 10, idempotencyKey: 'order-7', workflowName: 'a' }), 'the run of workflow a with key order-7').toEqual([a])
      expect(await ids({ limit: 10, idempotencyKey: 'order-9' }), 'a key no run has').toEqual([])
    })

    it('listRuns keeps only runs created before createdBefore', async () => {
      const old = await insertRun(store(), { now: at(10) })
      await insertRun(store(), { now: at(20) })
      expect(
        (await store().listRuns({ limit: 10, createdBefore: at(20) })).runs.map((run) => run.id),
        'runs created before 20',
      ).toEqual([old])
    })

    it('pruneRuns deletes ended runs that ended before the cut, with their journals and signals, never an active run', async (context) => {
      if (store().pruneRuns === undefined) return context.skip()
      const end = async (status: 'completed' | 'failed' | 'cancelled', at_: number, workflowName = 'wf') => {
        const id = await insertRun(store(), { workflowName })
        await lease(store(), id, 'w1', at(0), 30_000, workflowName)
        await store().updateRun(update(id, { journal: completed('a', 1), now: at(1) }))
        await store().changeRun(id, at(2), () => ({ signal: { name: 'late', payloadJson: '1' } }))
        await store().updateRun(update(id, { state: stateOf(status), dueAt: null, leaseUntil: null, now: at(at_) }))
        return id
      }
      const done = await end('completed', 100)
      const failedRun = await end('failed', 200)
      const cancelled = await end('cancelled', 300)
      const recent = await end('completed', 5_000)
      const other = await end('completed', 100, 'other')
      const active = await insertRun(store(), { now: at(0) })
      const prune = (limit: number, extra: { workflowName?: string; status?: 'failed' | 'cancelled'; dryRun?: boolean } = {}) =>
        store().pruneRuns!({ endedBefore: at(1_000), limit, ...extra })
      expect(await prune(100, { dryRun: true }), 'runs a dry run counts').toBe(4)
      expect(await prune(100, { status: 'failed', dryRun: true }), 'failed runs a dry run counts').toBe(1)
      expect(await prune(100, { status: 'cancelled' }), 'cancelled runs pruned').toBe(1)
      expect(await store().getRun(cancelled), 'the pruned cancelled run').toBeUndefined()
      expect(await store().getRun(failedRun), 'a failed run, after pruning the cancelled ones').toBeDefined()
      expect(await store().getRun(done), 'a run after a dry run').toBeDefined()
      expect(await prune(100, { workflowName: 'other' }), 'runs of "other" pruned').toBe(1)
      expect(await store().getRun(other), 'the pruned run of "other"').toBeUndefined()
      expect(await prune(1), 'runs pruned with limit 1').toBe(1)
      expect(await prune(100), 'runs pruned next').toBe(1)
      for (const id of [done, failedRun, cancelled]) {
        expect(await store().getRun(id), `pruned run ${id}`).toBeUndefined()
        expect(await store().journal(id), `journal of pruned run ${id}`).toEqual([])
        expect(await store().takeSignal(id, 'late'), `signals of pruned run ${id}`).toBeUndefined()
      }
      expect(await store().getRun(recent), 'a run that ended after the cut').toBeDefined()
      expect(await store().getRun(active), 'an active run').toBeDefined()
      expect(await prune(100), 'runs left to prune').toBe(0)
    })

    it('refuses a list or scan limit that is not a positive integer with INVALID_INPUT', async () => {
      await expect(store().listRuns({ limit: 1.5 }), 'listRuns limit 1.5').rejects.toMatchObject({ code: 'INVALID_INPUT' })
      await expect(store().findDueRuns({ now: at(0), definitions: definitions('wf'), limit: 0 }), 'findDueRuns limit 0').rejects.toMatchObject({ code: 'INVALID_INPUT' })
    })

    it('stats counts runs by status, the due backlog and live leases', async () => {
      const empty = await store().stats(at(0))
      expect(empty, 'stats of an empty store').toEqual({
        byStatus: { pending: 0, running: 0, waiting: 0, compensating: 0, completed: 0, failed: 0, cancelled: 0 },
        due: 0,
        oldestDueAt: null,
        leased: 0,
      })
      await insertRun(store(), { now: at(10) }) // due, free
      await insertRun(store(), { now: at(20) }) // due, free
      await insertRun(store(), { now: at(5_000) }) // not due yet at 1 000
      const held = await insertRun(store(), { now: at(0) })
      await lease(store(), held, 'w1', at(0), 10_000)
      const lapsed = await insertRun(store(), { now: at(0) })
      await lease(store(), lapsed, 'w1', at(0), 100) // expired by 1 000: due again
      const done = await insertRun(store(), { now: at(0) })
      await lease(store(), done, 'w1')
      await store().updateRun(update(done, { state: stateOf('completed'), dueAt: at(0), leaseUntil: null, now: at(1) }))
      const stats = await store().stats(at(1_000))
      expect(stats.byStatus, 'stats.byStatus').toEqual({ pending: 3, running: 2, waiting: 0, compensating: 0, completed: 1, failed: 0, cancelled: 0 })
      expect(stats.due, 'stats.due: active runs due and held by no live worker').toBe(3)
      expect(stats.oldestDueAt, 'stats.oldestDueAt').toEqual(at(0))
      expect(stats.leased, 'stats.leased: runs a live lease holds').toBe(1)
    })

    it('migrate is idempotent', async () => {
      const id = await insertRun(store())
      await store().migrate()
      await store().migrate()
      expect((await store().getRun(id))?.id, 'a run after migrating again').toBe(id)
    })
  })
}
