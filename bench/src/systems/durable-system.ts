/**
 * durable as a system under test: a workflow of three no-op steps. Throughput drains a backlog
 * of runs started beforehand with a worker of the given concurrency; latency is `start()` to
 * `waitFor()` resolving, one run at a time, with an idle worker of concurrency 1.
 */
import { defineWorkflow } from '@durable/core'
import type { DurableWorker } from '@durable/provider'
import { until, withCallers } from '../stats.js'
import { backendLabel, openDurable, type Backend, type DurableInstance } from './durable-instance.js'
import type { ThreeStepSystem } from './three-step-system.js'

/** Callers that start a throughput backlog (not measured). */
const BACKLOG_CALLERS = 8

export async function durableSystem(backend: Backend, adminUrl: string): Promise<ThreeStepSystem> {
  let finished = 0
  let lastFinished = ''
  const threeSteps = defineWorkflow<{ i: number }>('three-steps')
    .step('a', async () => 1)
    .step('b', async () => 2)
    .step('c', async (ctx) => {
      finished++
      lastFinished = ctx.runId
      return 3
    })
  const instance: DurableInstance = await openDurable(backend, adminUrl, 'bench_durable', [threeSteps])
  const { durable } = instance
  let latencyWorker: DurableWorker | undefined

  return {
    name: backendLabel(backend),
    method: 'runs started beforehand (not timed); timed: a worker of concurrency c draining them, until the last run is completed',
    async throughput(runs, concurrency) {
      await withCallers(runs, BACKLOG_CALLERS, (i) => durable.start(threeSteps, { i }))
      finished = 0
      const worker = durable.worker({ concurrency })
      const started = performance.now()
      await worker.start()
      await until(() => finished >= runs, `${runs} runs`)
      // The last step to run is the last to commit, give or take the commits still in flight.
      await durable.waitFor(lastFinished)
      const seconds = (performance.now() - started) / 1000
      await worker.stop()
      return seconds
    },
    async beginLatency() {
      latencyWorker = durable.worker({ concurrency: 1 })
      await latencyWorker.start()
    },
    async latencyOnce() {
      const started = performance.now()
      await durable.waitFor(await durable.start(threeSteps, { i: 0 }), { timeout: '1m' })
      return performance.now() - started
    },
    async endLatency() {
      await latencyWorker?.stop()
    },
    async startRate(runs, callers) {
      return withCallers(runs, callers, (i) => durable.start(threeSteps, { i }))
    },
    close: () => instance.close(),
  }
}
