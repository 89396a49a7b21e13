import type { EventEmitter } from 'node:events'
import type { RunStore } from '@durable/core'
import type { QueueAdapter } from '@durable/queue-adapter'
import type { Clock } from './clock.js'
import type { Logger } from './logger.js'
import type { RetentionPolicy } from './retention.js'
import type { ScheduleDefinition } from './schedule-definitions.js'
import type { WorkflowRegistry } from './workflow-registry.js'

/** What the parts of one runtime share. Frozen at creation. */
export interface RuntimeContext {
  readonly store: RunStore
  readonly queue: QueueAdapter
  readonly registry: WorkflowRegistry
  readonly clock: Clock
  /**
   * Call before reading `clock` in a new operation: resolves once it can be trusted (the first
   * sample of the database's clock; at once afterwards, refreshing it in the background).
   */
  readonly syncClock: () => Promise<void>
  readonly logger: Logger
  readonly leaseMs: number
  readonly maxPayloadBytes: number
  /** How long ended runs are kept, per status; workers delete older ones (empty: kept for ever). */
  readonly retention: RetentionPolicy
  /** `createDurable`'s schedules, checked: started workers start their due slots' runs. */
  readonly schedules: readonly ScheduleDefinition[]
  /** Emits `ended` with the run id (and its final snapshot, once committed) when a run of this process reaches its end (wakes `waitFor`). */
  readonly events: EventEmitter
}
