/**
 * One unit of the benchmark that runs in its own child process: a system's three-step scenarios,
 * or one of durable's own scenarios on one backend. A fresh process per task keeps RSS figures
 * honest and shows that every system closes its pools and workers (the child must exit).
 */
import type { Backend } from './systems/durable-instance.js'

export type SystemId = 'durable-server' | 'durable-embedded' | 'dbos' | 'pg-boss' | 'graphile-worker' | 'graphile-local'

/** durable's own scenarios, each run on both backends. */
export type DurableScenario = 'flat-cost' | 'active' | 'parked' | 'start-many' | 'flow-claim'

export type Task =
  | { readonly kind: 'three-step'; readonly system: SystemId }
  | { readonly kind: DurableScenario; readonly backend: Backend }
  /** The profiler's (`npm run profile`): drain a backlog of `runs`, or trace one run. */
  | { readonly kind: 'profile-drain'; readonly runs: number; readonly concurrency: number }
  | { readonly kind: 'profile-trace' }

export interface TaskInput {
  readonly task: Task
  readonly adminUrl: string
  readonly quick: boolean
}

export const taskLabel = (task: Task): string => (task.kind === 'three-step' ? task.system : 'backend' in task ? `${task.kind} (${task.backend})` : task.kind)
