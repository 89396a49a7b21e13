/**
 * Races real processes migrating one database at once (`migrate-process.mjs`): each loads and
 * connects first, then all are told to go together, as the workers of a fleet starting at once.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createTestDatabase } from './database.ts'

const script = fileURLToPath(new URL('./migrate-process.mjs', import.meta.url))

/** The queue engine the processes migrate beside the store. */
export type MigratingQueue = 'postgres' | 'pg-boss' | 'graphile-worker'

/**
 * `rounds` times, on a fresh database: `processes` processes call `durable.migrate()` at the same
 * moment, then `check(url)` looks at the schema they left. Resolves with each round's outcomes,
 * one per process: "migrated", or its error as JSON.
 */
export async function raceMigrations(queue: MigratingQueue, options: { rounds: number; processes: number; check: (databaseUrl: string) => Promise<void> }): Promise<string[][]> {
  const rounds: string[][] = []
  for (let round = 0; round < options.rounds; round++) {
    const database = await createTestDatabase('migrate_race')
    try {
      rounds.push(await migrateAtOnce(database.url, queue, options.processes))
      await options.check(database.url)
    } finally {
      await database.drop()
    }
  }
  return rounds
}

async function migrateAtOnce(databaseUrl: string, queue: MigratingQueue, processes: number): Promise<string[]> {
  const children = await Promise.all(Array.from({ length: processes }, () => ready(databaseUrl, queue)))
  const outcomes = children.map(
    ({ child, output }) =>
      new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => (code === 0 ? resolve(output().trim().split('\n').at(-1) ?? '') : reject(new Error(`migrate process exited with ${code}: ${output()}`))))
      }),
  )
  for (const { child } of children) child.stdin!.end('go\n')
  return Promise.all(outcomes)
}

async function ready(databaseUrl: string, queue: MigratingQueue): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, DATABASE_URL: databaseUrl, QUEUE: queue }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)))
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => stdout.includes('ready') && resolve())
    child.once('exit', (code) => reject(new Error(`migrate process exited with ${code} before it was ready: ${stderr}`)))
  })
  return { child, output: () => stdout + stderr }
}
