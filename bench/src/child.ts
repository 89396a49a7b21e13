/**
 * Entry point of a child process: runs the task given as JSON in argv[2] and sends its figures
 * to the parent over IPC. Exits by itself once the task closed what it opened — the parent
 * reports a child that does not.
 */
import { dbosSystem } from './peers/dbos.js'
import { graphileChainSystem } from './peers/graphile-chain.js'
import { pgBossChainSystem } from './peers/pg-boss-chain.js'
import { profileDrain, traceOneRun } from './profile/profile-tasks.js'
import { measureActiveRuns } from './scenarios/active-runs.js'
import { measureFlatCost } from './scenarios/flat-cost.js'
import { measureFlowClaim } from './scenarios/flow-claim.js'
import { measureParkedRuns } from './scenarios/parked-runs.js'
import { measureStartMany } from './scenarios/start-many.js'
import { measureThreeStep } from './scenarios/three-step.js'
import { settingsFor } from './settings.js'
import { durableSystem } from './systems/durable-system.js'
import type { ThreeStepSystem } from './systems/three-step-system.js'
import type { SystemId, TaskInput } from './task.js'

const input = JSON.parse(process.argv[2] ?? '{}') as TaskInput
const settings = settingsFor(input.quick)

try {
  const result = await run()
  process.send?.({ result })
} catch (error) {
  process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exitCode = 1
}
process.disconnect?.()

async function run(): Promise<unknown> {
  const { task, adminUrl } = input
  if (task.kind === 'profile-drain') return profileDrain(adminUrl, task.runs, task.concurrency)
  if (task.kind === 'profile-trace') return traceOneRun(adminUrl)
  if (task.kind !== 'three-step') {
    if (task.kind === 'flat-cost') return measureFlatCost(task.backend, adminUrl, settings)
    if (task.kind === 'parked') return measureParkedRuns(task.backend, adminUrl, settings)
    if (task.kind === 'start-many') return measureStartMany(task.backend, adminUrl, settings)
    if (task.kind === 'flow-claim') return measureFlowClaim(task.backend, adminUrl, settings)
    return measureActiveRuns(task.backend, adminUrl, settings)
  }
  const system = await openSystem(task.system, adminUrl)
  try {
    return await measureThreeStep(system, settings)
  } finally {
    await system.close()
  }
}

function openSystem(id: SystemId, adminUrl: string): Promise<ThreeStepSystem> {
  switch (id) {
    case 'durable-server':
      return durableSystem('server', adminUrl)
    case 'durable-embedded':
      return durableSystem('embedded', adminUrl)
    case 'dbos':
      return dbosSystem(adminUrl)
    case 'pg-boss':
      return pgBossChainSystem(adminUrl)
    case 'graphile-worker':
      return graphileChainSystem(adminUrl, 'default')
    case 'graphile-local':
      return graphileChainSystem(adminUrl, 'batched')
  }
}
