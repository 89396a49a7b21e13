/** Builds a runtime on a real PostgreSQL database or on PGlite, for the provider's tests. */
import { PGlite } from '@electric-sql/pglite'
import type { Workflow } from '@durable/core'
import { createDurable, silentLogger, type Durable, type DurableOptions, type DurableWorker, type WorkerOptions } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore, type PostgresStore } from '@durable/store-postgres'
import { createTestDatabase } from '../../../testing/database.ts'

export interface Harness {
  readonly durable: Durable
  readonly store: PostgresStore
  readonly worker: DurableWorker
  /** Connection string (real PostgreSQL only). */
  readonly url?: string
  close(): Promise<void>
}

export type HarnessOptions = Partial<Omit<DurableOptions, 'store' | 'queue' | 'workflows'>> & {
  worker?: WorkerOptions | false
  queue?: DurableOptions['queue']
}

export async function postgresHarness(workflows: Workflow[], options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase('provider')
  const store = postgresStore({ connectionString: database.url })
  return build(store, workflows, options, async () => database.drop(), database.url)
}

export async function pgliteHarness(workflows: Workflow[], options: HarnessOptions = {}): Promise<Harness> {
  const store = postgresStore({ pglite: new PGlite() })
  return build(store, workflows, options, async () => {})
}

async function build(store: PostgresStore, workflows: Workflow[], options: HarnessOptions, cleanup: () => Promise<void>, url?: string): Promise<Harness> {
  const { worker: workerOptions, queue, ...rest } = options
  const durable = createDurable({
    store,
    queue: queue ?? postgresQueue({ store, pollIntervalMs: 200 }),
    workflows,
    logger: silentLogger,
    ...rest,
  })
  await durable.migrate()
  const worker = durable.worker(workerOptions === false ? {} : { concurrency: 8, reconcileIntervalMs: 300, ...workerOptions })
  if (workerOptions !== false) await worker.start()
  return {
    durable,
    store,
    worker,
    ...(url !== undefined ? { url } : {}),
    async close() {
      await durable.close()
      await cleanup()
    },
  }
}

/** Both backends, for `describe.each`. */
export const backends: Array<[string, (workflows: Workflow[], options?: HarnessOptions) => Promise<Harness>]> = [
  ['postgres', postgresHarness],
  ['pglite', pgliteHarness],
]
