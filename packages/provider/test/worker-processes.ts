/** Spawns real worker processes for crash tests. */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const defaultScript = fileURLToPath(new URL('./fixtures/worker-process.mjs', import.meta.url))
const faultScript = fileURLToPath(new URL('./fixtures/fault-worker.mjs', import.meta.url))

/** Starts a worker process (`fixtures/worker-process.mjs` unless `script` says) and resolves once it is consuming. */
export async function spawnWorker(env: Record<string, string>, script = defaultScript): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve())
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready: ${stderr}`)))
  })
  return child
}

/** SIGKILLs a process and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await gone
}

/**
 * Starts a worker of `fixtures/fault-worker.mjs` (the fault tests' workflows), its connections
 * named `name` in pg_stat_activity. `paused` makes it the worker that pauses at the workflows'
 * known points. `logs` collects its warnings and errors, one JSON line each.
 */
export async function spawnFaultWorker(databaseUrl: string, name: string, options: { paused: boolean; leaseMs?: number }): Promise<{ child: ChildProcess; logs: string[] }> {
  const env = { DATABASE_URL: `${databaseUrl}?application_name=${name}`, LEASE_MS: String(options.leaseMs ?? 1000), PAUSE: options.paused ? '1' : '0' }
  const child = await spawnWorker(env, faultScript)
  const logs: string[] = []
  child.stdout!.on('data', (chunk) =>
    logs.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.startsWith('{')),
    ),
  )
  return { child, logs }
}
