/**
 * DBOS Transact: a workflow of three no-op `DBOS.runStep` steps, its system database on the
 * benchmark's server. DBOS runs a started workflow in the starting process at once, so
 * throughput is c concurrent callers each starting a workflow and awaiting its result in a loop
 * (the start is part of the timed work, unlike durable's backlog); latency is one such call.
 */
import { DBOS, DBOSClient } from '@dbos-inc/dbos-sdk'
import { packageVersion } from '../package-version.js'
import { freshDatabase } from '../postgres-server.js'
import { POOL_SIZE } from '../settings.js'
import { withCallers } from '../stats.js'
import type { ThreeStepSystem } from '../systems/three-step-system.js'

const version = packageVersion('@dbos-inc/dbos-sdk')

async function threeStepsFunction(i: number): Promise<number> {
  await DBOS.runStep(async () => i, { name: 'a' })
  await DBOS.runStep(async () => i, { name: 'b' })
  await DBOS.runStep(async () => i, { name: 'c' })
  return i
}

export async function dbosSystem(adminUrl: string): Promise<ThreeStepSystem> {
  const systemDatabaseUrl = await freshDatabase(adminUrl, 'bench_dbos')
  DBOS.setConfig({ name: 'durable-bench', systemDatabaseUrl, systemDatabasePoolSize: POOL_SIZE, logLevel: 'error' })
  const threeSteps = DBOS.registerWorkflow(threeStepsFunction, { name: 'threeSteps' })
  await DBOS.launch()
  const once = async (i: number) => (await DBOS.startWorkflow(threeSteps)(i)).getResult()

  return {
    name: `DBOS Transact ${version}`,
    method: 'c concurrent callers, each: DBOS.startWorkflow(3 runStep no-ops) then getResult(), in a loop; all timed, starts included',
    async throughput(runs, concurrency) {
      return withCallers(runs, concurrency, once)
    },
    async beginLatency() {},
    async latencyOnce() {
      const started = performance.now()
      await once(0)
      return performance.now() - started
    },
    async endLatency() {},
    async startRate(runs, callers) {
      // Enqueued by a client on a queue no executor listens to, so nothing runs them.
      const client = await DBOSClient.create({ systemDatabaseUrl, applicationName: 'durable-bench', systemDatabasePoolSize: POOL_SIZE })
      try {
        return await withCallers(runs, callers, (i) => client.enqueue({ queueName: 'bench-start-rate', workflowName: 'threeSteps' }, i))
      } finally {
        await client.destroy()
      }
    },
    async close() {
      await DBOS.shutdown()
    },
  }
}
