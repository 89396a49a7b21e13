/**
 * Builds the durable runtime under test on one of its two backends: queue-postgres on the
 * benchmark's server, or the embedded default (PGlite in this process, on disk in a temp dir).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Workflow } from '@durable/core'
import { embeddedDurable } from '@durable/embedded'
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { freshDatabase } from '../postgres-server.js'
import { POOL_SIZE } from '../settings.js'

export type Backend = 'server' | 'embedded'

/**
 * Each backend's default poll interval (queue-postgres 1000 ms, embedded 500 ms): NOTIFY wakes
 * idle workers sooner; polling is the safety net and the bound for a timer's lateness.
 */
export const pollIntervalMs = (backend: Backend): number => (backend === 'server' ? 1000 : 500)

export interface DurableInstance {
  readonly durable: Durable
  readonly backend: Backend
  /** Closes the runtime and removes its database or data dir. */
  close(): Promise<void>
}

export const backendLabel = (backend: Backend): string => (backend === 'server' ? 'durable (queue-postgres)' : 'durable (embedded PGlite)')

/**
 * A durable runtime with its own database `name` (or PGlite data dir), new and empty unless
 * `reuse` (server only: the profiler starts runs in one process and drains them in another).
 */
export async function openDurable(backend: Backend, adminUrl: string, name: string, workflows: readonly Workflow[], reuse = false): Promise<DurableInstance> {
  if (backend === 'server') {
    const url = reuse ? adminUrl.replace(/\/[^/]*$/, `/${name}`) : await freshDatabase(adminUrl, name)
    const store = postgresStore({ connectionString: url, poolSize: POOL_SIZE })
    const durable = createDurable({ store, queue: postgresQueue({ store, pollIntervalMs: pollIntervalMs('server') }), workflows, logger: silentLogger })
    await durable.migrate()
    return { durable, backend, close: () => durable.close() }
  }
  const dataDir = await mkdtemp(join(tmpdir(), `durable-bench-${name}-`))
  const durable = embeddedDurable({ workflows, dataDir: join(dataDir, 'db'), logger: silentLogger })
  await durable.migrate()
  return {
    durable,
    backend,
    async close() {
      await durable.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
