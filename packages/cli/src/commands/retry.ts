import { isDurableError } from '@durable/core'
import type { RunSnapshot } from '@durable/provider'
import { connectApp, WORKFLOWS_FLAG_HELP } from '../app-connection.js'
import { CliError, UsageError } from '../cli-error.js'
import type { Command, CommandContext } from '../command.js'
import { confirmMany, yesHelp } from '../confirm-many.js'
import { explainRunError, statusOf } from '../run-errors.js'
import { filterJson, RUN_FILTER_OPTIONS, runFilterFlags, type FlagFilter } from '../run-filter-flags.js'

/**
 * `durable retry <id>`: starts a `failed` run again at the step that failed, with a fresh retry
 * budget. `durable retry --status failed [--workflow NAME] [--created-before DATE]` retries every
 * failed run that matches: it prints how many match, asks for `--yes` above 1,000, then prints
 * how many it retried. Needs no workflows: retry is a request on the run, and the worker that
 * claims the run next resumes it with the definition it registered.
 */
export const retryCommand: Command = {
  name: 'retry',
  summary: 'Start a failed run (or the failed runs that match) again at its failed step; needs no workflows.',
  args: [],
  optionalArgs: ['id'],
  usages: ['retry <id>', 'retry --status failed [--workflow NAME]'],
  options: { ...RUN_FILTER_OPTIONS, yes: { type: 'boolean' }, workflows: { type: 'string' } },
  flagHelp: [
    ['--status failed', 'instead of an id: retry the failed runs (the only status a run can be retried from)'],
    ['--workflow NAME', 'instead of an id: retry the failed runs of this workflow'],
    ['--created-before DATE', 'instead of an id: retry the failed runs created before this date or ISO time'],
    yesHelp('retry'),
    WORKFLOWS_FLAG_HELP,
  ],
  examples: ['durable retry 01JD2Q7ZK4X8M3VYB5N6P0R2ST', 'durable retry 01JD2Q7ZK4X8M3VYB5N6P0R2ST --json', 'durable retry --status failed --workflow checkout --yes'],
  async run(context) {
    const runId = context.args[0]
    const picked = runFilterFlags(context.flags, 'retry', { statuses: ['failed'], all: 'failed', verb: 'retried' })
    if (runId !== undefined && picked !== undefined) throw new UsageError('give a run id or filters (--status, --workflow, --created-before), not both', 'retry')
    if (runId === undefined && picked === undefined) {
      throw new UsageError('missing <id>, or filters to retry many runs: --status failed, --workflow NAME, --created-before DATE', 'retry')
    }
    if (picked !== undefined) return retryMany(context, picked)
    if (context.flags.yes === true) throw new UsageError('--yes goes with filters (--status, --workflow, --created-before), not with a run id', 'retry')
    const id = runId ?? ''
    const { durable, woken } = await connectApp(context, 'retry')
    let run: RunSnapshot
    try {
      run = await durable.find(id)
    } catch (error) {
      throw explainRunError(error, id, 'retry', 'retry it')
    }
    try {
      await durable.retry(id)
    } catch (error) {
      if (isDurableError(error, 'RUN_NOT_ACTIVE') && statusOf(error) === 'failed') {
        throw new CliError('RUN_NOT_ACTIVE', `run ${id} failed without a step to resume: cannot retry it`)
      }
      throw explainRunError(error, id, 'retry', 'retry it (only a failed run can be retried)')
    }
    woken()
    const step = run.error?.step ?? null
    if (context.json) {
      context.printJson({ ok: true, runId: id, workflowName: run.workflowName, step })
      return
    }
    const from = step === null ? 'from the step that failed' : `from step ${step}`
    context.stdout(`retrying run ${id} ${from}: a worker that has workflow "${run.workflowName}" registered picks it up\n`)
  },
}

/** Retries the failed runs that match: counts them, asks for `--yes` above the threshold, retries. */
async function retryMany(context: CommandContext, { filter, runs }: FlagFilter): Promise<void> {
  const { durable, woken } = await connectApp(context, 'retry')
  const { status: _, ...failedOnes } = filter
  const { count: matched } = await durable.retryMany(failedOnes, { dryRun: true })
  if (!context.json) context.stdout(`${runs(matched)} to retry\n`)
  confirmMany(context, matched, `${runs(matched)} would be retried: run again with --yes to retry them`)
  const { count } = await durable.retryMany(failedOnes)
  if (count > 0) woken()
  if (context.json) context.printJson({ matched, count, ...filterJson(filter) })
  else context.stdout(`retrying ${count} ${count === 1 ? 'run' : 'runs'} from the steps that failed: workers that have their workflows registered pick them up\n`)
}
