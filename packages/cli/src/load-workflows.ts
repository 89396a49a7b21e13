import { existsSync, statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RunStore, Workflow } from '@durable/core'
import type { Durable, DurableOptions } from '@durable/provider'
import { CliError, UsageError } from './cli-error.js'

type QueueAdapter = DurableOptions['queue']

/**
 * What a `--workflows` module gives the CLI: its workflows, and how the app reaches its runs —
 * its `durable` instance, or its `queue` (and `store`). Actions then wake runs through the app's
 * own queue, so workers on any engine take them at once.
 */
export interface LoadedWorkflows {
  /** The path as given on the command line, for messages. */
  readonly module: string
  readonly workflows: readonly Workflow[]
  /** `export const durable = createDurable(…)`: used as it is (its store, queue and workflows). */
  readonly durable?: Durable
  /** `export const queue = pgBossQueue(boss)`: the queue the CLI wakes runs through. */
  readonly queue?: QueueAdapter
  /** `export const store = postgresStore(…)`: the store to use with `queue` (default: one on the CLI's database). */
  readonly store?: RunStore
}

/**
 * True for a workflow made with `defineWorkflow`: an object with a string `name` and an array
 * of `steps`. Checked by shape, so a workflow from another copy of `@durable/core` counts too.
 */
export function looksLikeWorkflow(value: unknown): value is Workflow {
  return typeof value === 'object' && value !== null && typeof (value as Workflow).name === 'string' && Array.isArray((value as Workflow).steps)
}

/** True for the object `createDurable` returns (checked by shape, as workflows are). */
function looksLikeDurable(value: unknown): value is Durable {
  const durable = value as Record<string, unknown> | null
  return typeof durable === 'object' && durable !== null && ['signal', 'cancel', 'retry', 'list', 'find', 'close'].every((name) => typeof durable[name] === 'function')
}

function looksLikeQueue(value: unknown): value is QueueAdapter {
  const queue = value as Record<string, unknown> | null
  return typeof queue === 'object' && queue !== null && typeof queue.dispatch === 'function' && typeof queue.consume === 'function'
}

function looksLikeStore(value: unknown): value is RunStore {
  const store = value as Record<string, unknown> | null
  return typeof store === 'object' && store !== null && typeof store.claimRun === 'function' && typeof store.changeRun === 'function'
}

/**
 * Imports the ES module at `path` (resolved from `cwd`) and collects every export that is a
 * workflow — and the workflows in exported arrays (`export const workflows = [a, b]`) — and the
 * app's `durable` instance, or its `queue` and `store`, when it exports them (by those names).
 *
 * - no such file, or a module that exports no workflow, durable or queue: {@link UsageError} (exit 2);
 * - a module that throws while loading, or two different workflows with one name:
 *   {@link CliError} `WORKFLOWS_MODULE` (exit 1).
 */
export async function loadWorkflows(path: string, cwd: string, command: string): Promise<LoadedWorkflows> {
  if (path === '') throw new UsageError('--workflows needs the path of a module that exports your workflows', command)
  const file = resolve(cwd, path)
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`--workflows ${path}: no such file (looked for ${file})`, command)
  let exports: Record<string, unknown>
  try {
    exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    const hint = /^\.[cm]?tsx?$/.test(extname(file)) ? ' (point at the compiled JavaScript, or run the CLI with a TypeScript loader)' : ''
    throw new CliError('WORKFLOWS_MODULE', `could not load --workflows ${path}: ${reason}${hint}`, { cause: error })
  }
  const found = new Set<Workflow>()
  for (const value of Object.values(exports)) {
    for (const candidate of Array.isArray(value) ? value : [value]) if (looksLikeWorkflow(candidate)) found.add(candidate)
  }
  const durable = exports.durable
  const queue = exports.queue
  const store = exports.store
  const named = (name: string, value: unknown, check: (value: unknown) => boolean, what: string) => {
    if (value !== undefined && !check(value)) throw new CliError('WORKFLOWS_MODULE', `--workflows ${path} exports "${name}", but it is not ${what}`)
  }
  named('durable', durable, looksLikeDurable, 'what createDurable (or embeddedDurable) returns')
  named('queue', queue, looksLikeQueue, 'a queue adapter (with dispatch and consume), e.g. pgBossQueue(boss)')
  named('store', store, looksLikeStore, 'a run store, e.g. postgresStore({ connectionString })')
  if (durable !== undefined && (queue !== undefined || store !== undefined)) {
    throw new CliError('WORKFLOWS_MODULE', `--workflows ${path} exports "durable" and also "queue" or "store": export only durable (it has its store and queue)`)
  }
  if (store !== undefined && queue === undefined)
    throw new CliError('WORKFLOWS_MODULE', `--workflows ${path} exports "store" without "queue": export the queue your workers consume too`)
  if (found.size === 0 && durable === undefined && queue === undefined) {
    const names = Object.keys(exports)
    const listed = names.length > 0 ? `it exports ${names.map((n) => `"${n}"`).join(', ')}` : 'it exports nothing'
    throw new UsageError(`--workflows ${path} exports no workflow made with defineWorkflow, no durable and no queue (${listed})`, command)
  }
  const byName = new Map<string, Workflow>()
  for (const workflow of found) {
    if (byName.has(workflow.name)) throw new CliError('WORKFLOWS_MODULE', `--workflows ${path} exports two different workflows named "${workflow.name}"`)
    byName.set(workflow.name, workflow)
  }
  return {
    module: path,
    workflows: [...found],
    ...(durable !== undefined ? { durable: durable as Durable } : {}),
    ...(queue !== undefined ? { queue: queue as QueueAdapter } : {}),
    ...(store !== undefined ? { store: store as RunStore } : {}),
  }
}
