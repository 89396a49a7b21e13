import type { Durable } from '@durable/provider'
import type { CommandContext } from './command.js'
import { loadWorkflows } from './load-workflows.js'

/** `--help` line of `--workflows` for the commands that wake runs (signal, cancel, retry). */
export const WORKFLOWS_FLAG_HELP = [
  '--workflows MODULE',
  "your app's ES module: exporting its durable instance (or its queue and store), runs are woken through your queue at once",
] as const

/**
 * What `signal`, `cancel` and `retry` print on stderr when no module names the app's queue: the
 * CLI then wakes runs through durable's own jobs table, which only workers on queue-postgres
 * read; workers on pg-boss, Graphile Worker or BullMQ find the run at their reconciler's next scan.
 */
export const FALLBACK_NOTE =
  "durable: no queue configured (--workflows MODULE exporting your durable or queue): waking through durable's jobs table; workers on other queue engines see it at their next reconcile\n"

/** The runtime of an action, and what to say once the action is done. */
export interface AppConnection {
  readonly durable: Durable
  /** Says, in human output, how the run was woken when it was not through the app's queue. */
  woken(): void
}

/**
 * Loads `--workflows` (if given) and connects through the app's `durable` or `queue` when the
 * module exports one; otherwise through durable's jobs table, which {@link AppConnection.woken} says.
 */
export async function connectApp(context: CommandContext, command: string): Promise<AppConnection> {
  const module = context.flags.workflows
  const app = typeof module === 'string' ? await loadWorkflows(module, context.cwd, command) : undefined
  const durable = context.connect({ mustExist: true, workflows: app?.workflows ?? [], app })
  // An embedded database has no other queue: its workers read the jobs table.
  const fallback = app?.durable === undefined && app?.queue === undefined && context.connection.kind === 'postgres'
  return {
    durable,
    woken: () => {
      if (fallback && !context.json) context.stderr(FALLBACK_NOTE)
    },
  }
}
