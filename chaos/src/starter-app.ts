/**
 * The soak's own side of the chaos database: an admin pool for its checks, and an app that
 * starts runs (it has no worker). Single-host or multi-host URLs alike: postgresStore and
 * postgresPool follow the primary through a failover.
 */
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresPool, postgresStore, type PostgresStore } from '@durable/store-postgres'
import type pg from 'pg'
import { chaosWorkflow, createTraceTables } from './chaos-workflow.js'

export interface StarterApp {
  readonly admin: pg.Pool
  readonly store: PostgresStore
  readonly durable: Durable
  close(): Promise<void>
}

/** Opens the admin pool and the starter on `url(database, applicationName)`, migrated, with the trace tables. */
export async function openStarterApp(url: (database: string, applicationName: string) => string): Promise<StarterApp> {
  const admin = postgresPool(url('chaos', 'durable-chaos-admin'), { max: 3 })
  // A connection broken while checked out (a restart) must fail its query, not crash the soak.
  admin.on('connect', (client) => client.on('error', () => {}))
  const store = postgresStore({ connectionString: url('chaos', 'durable-chaos-starter') })
  const durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [chaosWorkflow(store.db)], logger: silentLogger })
  await durable.migrate()
  await createTraceTables(store.db)
  return {
    admin,
    store,
    durable,
    async close() {
      await durable.close()
      await admin.end()
    },
  }
}
