/**
 * graphile-worker: a chain of three jobs; task `step1` adds `step2` with `helpers.addJob`, which
 * adds `step3`. A runner of concurrency c (LISTEN/NOTIFY wakes it; default prepared statements),
 * in one of two configurations:
 * - `default`: each job fetched and completed by its own query;
 * - `batched`: the fastest one graphile-worker documents (worker.graphile.org/docs/performance:
 *   `localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0`) — jobs fetched
 *   and locked 500 at a time, completions of one tick sent as one query.
 */
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type TaskList } from 'graphile-worker'
import { packageVersion } from '../package-version.js'
import { freshDatabase } from '../postgres-server.js'
import { POOL_SIZE } from '../settings.js'
import { until, withCallers } from '../stats.js'
import type { ThreeStepSystem } from '../systems/three-step-system.js'

const version = packageVersion('graphile-worker')
const silent = new Logger(() => () => {})

export type GraphileMode = 'default' | 'batched'

/** The documented performance preset; its option names are those of graphile-worker 0.17. */
const BATCHED: GraphileConfig.Preset = {
  worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
}

export async function graphileChainSystem(adminUrl: string, mode: GraphileMode): Promise<ThreeStepSystem> {
  const connectionString = await freshDatabase(adminUrl, `bench_graphile_${mode}`)
  await runMigrations({ connectionString, logger: silent })
  const utils = await makeWorkerUtils({ connectionString, maxPoolSize: POOL_SIZE, logger: silent })
  let finished = 0
  const onFinished = new Set<() => void>()
  const taskList: TaskList = {
    step1: async (payload, helpers) => void (await helpers.addJob('step2', payload)),
    step2: async (payload, helpers) => void (await helpers.addJob('step3', payload)),
    step3: async () => {
      finished++
      for (const resolve of onFinished) resolve()
    },
  }
  const startRunner = (concurrency: number) =>
    run({
      connectionString,
      maxPoolSize: POOL_SIZE,
      concurrency,
      pollInterval: 1000,
      taskList,
      noHandleSignals: true,
      logger: silent,
      ...(mode === 'batched' ? { preset: BATCHED } : {}),
    })
  let latencyRunner: Runner | undefined

  return {
    name: `graphile-worker ${version} (3-job chain${mode === 'batched' ? ', localQueue+batch' : ''})`,
    method:
      'chains added beforehand (not timed); timed: a runner of concurrency c until the last step3 task returned' +
      (mode === 'batched' ? '; localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0 (the documented performance preset)' : ''),
    async throughput(runs, concurrency) {
      await withCallers(runs, 8, (i) => utils.addJob('step1', { i }))
      finished = 0
      const started = performance.now()
      const runner = await startRunner(concurrency)
      await until(() => finished >= runs, `${runs} graphile-worker chains`)
      const seconds = (performance.now() - started) / 1000
      await runner.stop()
      return seconds
    },
    async beginLatency() {
      latencyRunner = await startRunner(1)
    },
    async latencyOnce() {
      const started = performance.now()
      const done = new Promise<void>((resolve) => onFinished.add(resolve))
      await utils.addJob('step1', { i: 0 })
      await done
      onFinished.clear()
      return performance.now() - started
    },
    async endLatency() {
      await latencyRunner?.stop()
    },
    // Adding jobs does not depend on the runner's options: the default row measures it once.
    ...(mode === 'default' ? { startRate: (runs: number, callers: number) => withCallers(runs, callers, (i) => utils.addJob('step1', { i })) } : {}),
    async close() {
      await utils.release()
    },
  }
}
