/**
 * The floor of one durable checkpoint: a transaction that inserts one journal row and updates one
 * run row. Run by `pgbench` when it is on the PATH (prepared statements, `clients` connections
 * and threads), otherwise by the same transaction from Node with `clients` pooled connections.
 * Either way on the benchmark's server, in its own database.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freshDatabase, type BenchServer } from './postgres-server.js'
import { round } from './stats.js'

export interface FloorFigures {
  readonly clients: number
  readonly tool: 'pgbench' | 'node'
  readonly txPerSecond: number
  /** Mean latency of one transaction (pgbench reports the mean, not percentiles). */
  readonly meanMs: number
}

const RUN_ROWS = 1000
const SETUP = `
  create table floor_runs (id int primary key, n int not null default 0, updated_at timestamptz);
  create table floor_journal (id bigserial primary key, run_id int not null, payload jsonb, created_at timestamptz);
  insert into floor_runs (id) select g from generate_series(1, ${RUN_ROWS}) g;`
const INSERT = `insert into floor_journal (run_id, payload, created_at) values ($1, '{"ok": true}', now())`
const UPDATE = 'update floor_runs set n = n + 1, updated_at = now() where id = $1'
const PGBENCH_SCRIPT = `\\set run_id random(1, ${RUN_ROWS})
BEGIN;
${INSERT.replace('$1', ':run_id')};
${UPDATE.replace('$1', ':run_id')};
END;
`

const run = promisify(execFile)

/** Which tool measures the floor here: pgbench when `pgbench --version` answers. */
export async function floorTool(): Promise<'pgbench' | 'node'> {
  try {
    await run('pgbench', ['--version'])
    return 'pgbench'
  } catch {
    return 'node'
  }
}

export async function measureFloor(server: BenchServer, tool: 'pgbench' | 'node', clients: number, seconds: number): Promise<FloorFigures> {
  const url = await freshDatabase(server.url, 'bench_floor')
  const setup = new pg.Client({ connectionString: url })
  await setup.connect()
  await setup.query(SETUP)
  await setup.end()
  const figures = tool === 'pgbench' ? await withPgbench(server, clients, seconds) : await fromNode(url, clients, seconds)
  return { clients, tool, txPerSecond: round(figures.txPerSecond, 0), meanMs: round(figures.meanMs, 3) }
}

async function withPgbench(server: BenchServer, clients: number, seconds: number): Promise<{ txPerSecond: number; meanMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'durable-bench-floor-'))
  try {
    const script = join(dir, 'checkpoint.sql')
    await writeFile(script, PGBENCH_SCRIPT)
    const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(clients), '-T', String(seconds), '-f', script]
    const { stdout } = await run('pgbench', [...args, '-h', server.host, '-p', String(server.port), '-U', 'postgres', 'bench_floor'], {
      env: { ...process.env, PGPASSWORD: 'postgres' },
    })
    const tps = /tps = ([\d.]+)/.exec(stdout)?.[1]
    const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1]
    if (tps === undefined || latency === undefined) throw new Error(`could not read pgbench's output:\n${stdout}`)
    return { txPerSecond: Number(tps), meanMs: Number(latency) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function fromNode(url: string, clients: number, seconds: number): Promise<{ txPerSecond: number; meanMs: number }> {
  const pool = new pg.Pool({ connectionString: url, max: clients })
  let count = 0
  let totalMs = 0
  const deadline = Date.now() + seconds * 1000
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = await pool.connect()
      try {
        while (Date.now() < deadline) {
          const runId = 1 + Math.floor(Math.random() * RUN_ROWS)
          const started = performance.now()
          await client.query('begin')
          await client.query(INSERT, [runId])
          await client.query(UPDATE, [runId])
          await client.query('commit')
          totalMs += performance.now() - started
          count++
        }
      } finally {
        client.release()
      }
    }),
  )
  await pool.end()
  return { txPerSecond: count / seconds, meanMs: count > 0 ? totalMs / count : 0 }
}
