/**
 * graphile-worker: a chain of three jobs; task `step1` adds `step2` with `helpers.addJob`, which
 * adds `step3`. A runner of concurrency c (LISTEN/NOTIFY wakes it; default prepared statements).
 */
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type TaskList } from 'graphile-worker'
import { packageVersion } from '../package-version.js'
import { freshDatabase } from '../postgres-server.js'
import { until, withCallers } from '../stats.js'
import type { ThreeStepSystem } from '../systems/three-step-system.js'

const POOL_SIZE = 12
const version = packageVersion('graphile-worker')
const silent = new Logger(() => () => {})

export async function graphileChainSystem(adminUrl: string): Promise<ThreeStepSystem> {
  const connectionString = await freshDatabase(adminUrl, 'bench_graphile')
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
    run({ connectionString, maxPoolSize: POOL_SIZE, concurrency, pollInterval: 1000, taskList, noHandleSignals: true, logger: silent })
  let latencyRunner: Runner | undefined

  return {
    name: `graphile-worker ${version} (3-job chain)`,
    method: 'chains added beforehand (not timed); timed: a runner of concurrency c until the last step3 task returned',
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
    async startRate(runs, callers) {
      return withCallers(runs, callers, (i) => utils.addJob('step1', { i }))
    },
    async close() {
      await utils.release()
    },
  }
}
