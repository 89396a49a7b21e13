import { existsSync, statSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Workflow } from '@durable/core'
import { CliError, UsageError } from './cli-error.js'

/** The workflows of a `--workflows` module, and the module as the user named it. */
export interface LoadedWorkflows {
  /** The path as given on the command line, for messages. */
  readonly module: string
  readonly workflows: readonly Workflow[]
}

/**
 * True for a workflow made with `defineWorkflow`: an object with a string `name` and an array
 * of `steps`. Checked by shape, so a workflow from another copy of `@durable/core` counts too.
 */
export function looksLikeWorkflow(value: unknown): value is Workflow {
  return typeof value === 'object' && value !== null && typeof (value as Workflow).name === 'string' && Array.isArray((value as Workflow).steps)
}

/**
 * Imports the ES module at `path` (resolved from `cwd`) and collects every export that is a
 * workflow — and the workflows in exported arrays (`export const workflows = [a, b]`).
 *
 * - no such file, or a module that exports no workflow: {@link UsageError} (exit 2);
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
  if (found.size === 0) {
    const names = Object.keys(exports)
    const listed = names.length > 0 ? `it exports ${names.map((n) => `"${n}"`).join(', ')}` : 'it exports nothing'
    throw new UsageError(`--workflows ${path} exports no workflow made with defineWorkflow (${listed})`, command)
  }
  const byName = new Map<string, Workflow>()
  for (const workflow of found) {
    if (byName.has(workflow.name)) throw new CliError('WORKFLOWS_MODULE', `--workflows ${path} exports two different workflows named "${workflow.name}"`)
    byName.set(workflow.name, workflow)
  }
  return { module: path, workflows: [...found] }
}
