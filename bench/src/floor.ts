/**
 * The floor of one durable checkpoint: a transaction that inserts one journal row and updates
 * one run row, as pgbench would run it, here from Node with `clients` connections (pgbench is
 * not installed by npm; the transaction is the same).
 */
import pg from 'pg'

export async function measureFloor(url: string, clients: number, seconds: number): Promise<{ txPerSecond: number; p50Ms: number }> {
  const setup = new pg.Client({ connectionString: url })
  await setup.connect()
  await setup.query(`drop table if exists floor_journal, floor_runs;
    create table floor_runs (id int primary key, n int not null default 0, updated_at timestamptz);
    create table floor_journal (run_id int not null, seq int not null, payload jsonb, created_at timestamptz, primary key (run_id, seq));
    insert into floor_runs (id) select g from generate_series(1, 1000) g;`)
  await setup.end()
  const pool = new pg.Pool({ connectionString: url, max: clients })
  const latencies: number[] = []
  const deadline = Date.now() + seconds * 1000
  let seq = 0
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const runId = 1 + Math.floor(Math.random() * 1000)
        const started = performance.now()
        const client = await pool.connect()
        try {
          await client.query('begin')
          await client.query('insert into floor_journal values ($1, $2, $3, now())', [runId, ++seq, '{"ok":true}'])
          await client.query('update floor_runs set n = n + 1, updated_at = now() where id = $1', [runId])
          await client.query('commit')
        } finally {
          client.release()
        }
        latencies.push(performance.now() - started)
      }
    }),
  )
  await pool.end()
  latencies.sort((a, b) => a - b)
  return { txPerSecond: latencies.length / seconds, p50Ms: latencies[Math.floor(latencies.length / 2)] ?? 0 }
}
