/**
 * `@durable/provider`: the runtime. It composes a `RunStore`, a `QueueAdapter` and workflows,
 * starts runs, and runs workers that drive them step by step — one fenced commit per step,
 * leases renewed for long steps, and a reconciler so a lost job never loses a run.
 *
 * ```ts
 * const durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [checkout] })
 * await durable.migrate()
 * await durable.worker({ concurrency: 16 }).start()
 * const runId = await durable.start(checkout, { sku: 'A1', qty: 2 })
 * ```
 *
 * @packageDocumentation
 */
export { createDurable } from './create-durable.js'
export type { Durable, DurableOptions, DurableStats, ListOptions, PruneOptions, StartOptions } from './create-durable.js'
export type { RunSnapshot, RunSummary } from './run-snapshot.js'
export type { RunFilter, StartItem } from './bulk-operations.js'
export type { Retention } from './retention.js'
export { LATE_AFTER_MS } from './schedule-definitions.js'
export type { CatchUp, Schedule, ScheduleInfo } from './schedule-definitions.js'
export type { DurableWorker, WorkerOptions } from './worker.js'
export { consoleLogger, silentLogger } from './logger.js'
export type { Logger } from './logger.js'
export { systemClock } from './clock.js'
export type { Clock } from './clock.js'
