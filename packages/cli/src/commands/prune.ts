import { isDurableError, parseDuration, type Duration } from '@durable/core'
import type { PruneOptions } from '@durable/provider'
import { UsageError } from '../cli-error.js'
import type { Command } from '../command.js'
import { confirmMany, yesHelp } from '../confirm-many.js'

/**
 * `durable prune --older-than 30d [--workflow NAME] [--yes]`: deletes the runs that ended
 * (completed, failed, cancelled) longer ago than that, with their journals and signals; never an
 * active run. Prints how many. Above 1,000 runs it first says how many and asks for `--yes`.
 */
export const pruneCommand: Command = {
  name: 'prune',
  summary: 'Delete runs that ended long ago, with their journals and signals.',
  args: [],
  options: {
    'older-than': { type: 'string' },
    workflow: { type: 'string' },
    yes: { type: 'boolean' },
  },
  flagHelp: [
    ['--older-than DURATION', "runs that ended longer ago than this: '30d', '12h', '90m' (required)"],
    ['--workflow NAME', 'only runs of this workflow'],
    yesHelp('delete'),
  ],
  examples: ['durable prune --older-than 30d', 'durable prune --older-than 7d --workflow checkout --yes --json'],
  async run(context) {
    const olderThan = context.flags['older-than']
    if (typeof olderThan !== 'string' || olderThan === '') throw new UsageError('--older-than is required, e.g. --older-than 30d', 'prune')
    try {
      parseDuration(olderThan, '--older-than', 'INVALID_INPUT')
    } catch (error) {
      if (isDurableError(error)) throw new UsageError(error.message, 'prune')
      throw error
    }
    const workflow = context.flags.workflow
    if (workflow === '' || workflow === true) throw new UsageError('--workflow needs a workflow name', 'prune')
    const options: PruneOptions = { olderThan: olderThan as Duration, ...(typeof workflow === 'string' ? { workflowName: workflow } : {}) }
    const which = `that ended more than ${olderThan} ago${typeof workflow === 'string' ? ` (workflow "${workflow}")` : ''}`
    const durable = context.connect({ mustExist: true })
    if (context.flags.yes !== true) {
      const { count } = await durable.prune({ ...options, dryRun: true })
      confirmMany(context, count, `${count} runs ${which} would be deleted, with their journals and signals: run again with --yes to delete them`)
    }
    const { count } = await durable.prune(options)
    if (context.json) context.printJson({ count, olderThan, workflowName: options.workflowName ?? null })
    else context.stdout(`deleted ${count} ${count === 1 ? 'run' : 'runs'} ${which}, with their journals and signals\n`)
  },
}
