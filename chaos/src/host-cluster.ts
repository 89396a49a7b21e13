/**
 * Workers on several "hosts" (network namespaces: `createNetworkHosts` of @durable/test-setup) against one PostgreSQL
 * that listens on each host's link: the set-up of the partition test and the multi-host test. Runs are started from this process over loopback.
 */
import { createDurable, silentLogger, type Durable } from '@durable/provider'
import { postgresQueue } from '@durable/queue-postgres'
import { postgresStore } from '@durable/store-postgres'
import { createNetworkHosts, networkNamespacesUnavailable, type NetworkHosts } from '@durable/test-setup'
import pg from 'pg'
import { chaosWorkflow, createTraceTables } from './chaos-workflow.js'
import { retried } from './faults.js'
import { sleep } from './load.js'
import { startPostgres, type RestartablePostgres } from './postgres-server.js'
import { WorkerFleet } from './worker-fleet.js'

export const WORKER_APP = 'durable-chaos-worker'

export interface HostCluster {
  readonly server: RestartablePostgres
  readonly network: NetworkHosts
  /** The parent's own pool on database `chaos`, over loopback. */
  readonly admin: pg.Pool
  /** Starts runs (over loopback). */
  readonly durable: Durable
  /** One worker per host, worker i on host i. */
  readonly fleet: WorkerFleet
  /** Stops the workers, the server and removes the namespaces. */
  close(): Promise<void>
}

export interface HostClusterOptions {
  readonly hosts: number
  readonly concurrency: number
  readonly leaseMs: number
  readonly password: string
}

/** Makes the namespaces, starts the server on their links, migrates, and starts one worker per host. */
export async function startHostCluster(options: HostClusterOptions): Promise<HostCluster> {
  const unavailable = await networkNamespacesUnavailable()
  if (unavailable !== undefined) throw new Error(`workers on several hosts need network namespaces, and ${unavailable}`)
  const closers: Array<() => Promise<unknown>> = []
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {})
  }
  try {
    const network = await createNetworkHosts(options.hosts)
    closers.push(() => network.destroy())
    const server = await startPostgres({
      password: options.password,
      maxConnections: 60 + options.hosts * 30,
      listenAddresses: network.hosts.map((host) => host.hostAddress),
      allowNetworks: network.hosts.map((host) => host.network),
    })
    closers.push(() => server.destroy())
    await server.createDatabase('chaos')
    const admin = new pg.Pool({ connectionString: server.url('chaos', 'durable-chaos-admin'), max: 3 })
    admin.on('error', () => {})
    admin.on('connect', (client) => client.on('error', () => {}))
    closers.push(() => admin.end())
    const store = postgresStore({ connectionString: server.url('chaos', 'durable-chaos-starter') })
    const durable = createDurable({ store, queue: postgresQueue({ store }), workflows: [chaosWorkflow(store.db)], logger: silentLogger })
    closers.push(() => durable.close())
    await durable.migrate()
    await createTraceTables(store.db)
    const fleet = new WorkerFleet({
      size: options.hosts,
      env: { LEASE_MS: String(options.leaseMs), CONCURRENCY: String(options.concurrency) },
      placements: network.hosts.map((host) => ({ command: host.command, env: { DATABASE_URL: server.url('chaos', WORKER_APP, host.hostAddress) } })),
    })
    closers.push(() => fleet.stop(2000))
    await fleet.start()
    return { server, network, admin, durable, fleet, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** Waits until no run is active; false when `timeoutMs` passed first. */
export async function drained(admin: pg.Pool, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows } = await retried(() => admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM durable.runs WHERE status NOT IN ('completed', 'failed', 'cancelled')`))
    if (rows[0]!.n === 0) return true
    if (Date.now() > deadline) return false
    await sleep(100)
  }
}

/** Active runs under a lease, with the pid of the worker holding it (`host:pid:ulid` owners). */
export async function leases(admin: pg.Pool): Promise<Array<{ runId: string; pid: number }>> {
  const { rows } = await retried(() =>
    admin.query<{ id: string; lease_owner: string }>(
      `SELECT id, lease_owner FROM durable.runs WHERE lease_owner IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled')`,
    ),
  )
  return rows.map((row) => ({ runId: row.id, pid: Number(/:(\d+):[^:]+$/.exec(row.lease_owner)?.[1]) }))
}
