import type { RunStatus } from '@durable/core'
import { connectApp, WORKFLOWS_FLAG_HELP } from '../app-connection.js'
import { UsageError } from '../cli-error.js'
import type { Command, CommandContext } from '../command.js'
import { confirmMany, yesHelp } from '../confirm-many.js'
import { explainRunError } from '../run-errors.js'
import { filterJson, RUN_FILTER_OPTIONS, runFilterFlags, type FlagFilter } from '../run-filter-flags.js'

const MAX_REASON = 1000
/** The statuses of runs that can be cancelled. */
const ACTIVE: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating']

/**
 * `durable cancel <id> [--reason TEXT]`: asks for a run to stop. A worker stops it at the next
 * step boundary (aborting a running step's `ctx.signal`), compensates its finished steps and
 * ends it `cancelled`. `durable cancel --workflow NAME --status STATUS [--created-before DATE]`
 * asks the same of every active run that matches: it prints how many match, asks for `--yes`
 * above 1,000, then prints how many it cancelled. Needs no workflows.
 */
export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel a run (or the active runs that match): it stops, compensates, and ends cancelled.',
  args: [],
  optionalArgs: ['id'],
  usages: ['cancel <id>', 'cancel --workflow NAME --status STATUS'],
  options: { reason: { type: 'string' }, ...RUN_FILTER_OPTIONS, yes: { type: 'boolean' }, workflows: { type: 'string' } },
  flagHelp: [
    ['--reason TEXT', `why, kept in the run's error: "run cancelled: TEXT" (at most ${MAX_REASON} characters)`],
    ['--workflow NAME', 'instead of an id: cancel the active runs of this workflow'],
    ['--status STATUS', `instead of an id: cancel the runs in this status (${ACTIVE.join(', ')})`],
    ['--created-before DATE', 'instead of an id: cancel the active runs created before this date or ISO time'],
    yesHelp('cancel'),
    WORKFLOWS_FLAG_HELP,
  ],
  examples: [
    'durable cancel 01JD2Q7ZK4X8M3VYB5N6P0R2ST',
    'durable cancel 01JD2Q7ZK4X8M3VYB5N6P0R2ST --reason "customer asked" --json',
    'durable cancel --workflow checkout --status waiting --reason "promo ended" --yes',
  ],
  async run(context) {
    const runId = context.args[0]
    const reason = typeof context.flags.reason === 'string' ? context.flags.reason : undefined
    if (reason === '') throw new UsageError('--reason needs some text', 'cancel')
    if (reason !== undefined && reason.length > MAX_REASON) throw new UsageError(`--reason is ${reason.length} characters long; at most ${MAX_REASON}`, 'cancel')
    const picked = runFilterFlags(context.flags, 'cancel', { statuses: ACTIVE, all: 'active', verb: 'cancelled' })
    if (runId !== undefined && picked !== undefined) throw new UsageError('give a run id or filters (--workflow, --status, --created-before), not both', 'cancel')
    if (runId === undefined && picked === undefined) {
      throw new UsageError('missing <id>, or filters to cancel many runs: --workflow NAME, --status STATUS, --created-before DATE', 'cancel')
    }
    if (picked !== undefined) return cancelMany(context, picked, reason)
    if (context.flags.yes === true) throw new UsageError('--yes goes with filters (--workflow, --status, --created-before), not with a run id', 'cancel')
    const id = runId ?? ''
    const { durable, woken } = await connectApp(context, 'cancel')
    try {
      await durable.cancel(id, reason === undefined ? {} : { reason })
    } catch (error) {
      throw explainRunError(error, id, 'cancel', 'cancel it')
    }
    woken()
    if (context.json) context.printJson({ ok: true, runId: id, reason: reason ?? null })
    else context.stdout(`cancelling run ${id}: a worker stops it at the next step boundary, compensates its finished steps and ends it cancelled\n`)
  },
}

/** Cancels the runs that match: counts them, asks for `--yes` above the threshold, cancels. */
async function cancelMany(context: CommandContext, { filter, runs }: FlagFilter, reason: string | undefined): Promise<void> {
  const { durable, woken } = await connectApp(context, 'cancel')
  const options = reason === undefined ? {} : { reason }
  const { count: matched } = await durable.cancelMany(filter, { ...options, dryRun: true })
  if (!context.json) context.stdout(`${runs(matched)} to cancel\n`)
  confirmMany(context, matched, `${runs(matched)} would be cancelled: run again with --yes to cancel them`)
  const { count } = await durable.cancelMany(filter, options)
  if (count > 0) woken()
  if (context.json) context.printJson({ matched, count, ...filterJson(filter), reason: reason ?? null })
  else context.stdout(`cancelling ${count} ${count === 1 ? 'run' : 'runs'}: workers stop each at its next step boundary, compensate its finished steps and end it cancelled\n`)
}
