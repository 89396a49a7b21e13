import type { RunStatus } from '@durable/core'
import type { ListOptions, RunSummary } from '@durable/provider'
import { UsageError } from '../cli-error.js'
import type { Command, CommandContext, FlagValues } from '../command.js'
import { formatTable } from '../format-table.js'
import { describeRecordedError, describeWaitingFor, truncate } from '../format-values.js'
import { summaryJson } from '../json-output.js'
import { styleStatus } from '../style.js'

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']
const MAX_LIMIT = 1000

/** `durable runs list`: a page of runs, newest first, filtered by workflow and status. */
export const runsListCommand: Command = {
  name: 'runs list',
  summary: 'List runs, newest first.',
  args: [],
  options: {
    workflow: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  flagHelp: [
    ['--workflow NAME', 'only runs of this workflow'],
    ['--status STATUS', `only runs in this status: ${STATUSES.join(', ')}`],
    ['--limit N', `runs per page, 1–${MAX_LIMIT} (default 50)`],
    ['--cursor C', 'the page after the one that printed this cursor'],
  ],
  columnHelp: [
    ['WAITING FOR', 'what a waiting run waits for: signal NAME [until T], timer T (a sleep), child RUN-ID'],
    ['TRIES', 'tries of steps and compensators that reached the journal, over the whole run (a retried step counts each try)'],
  ],
  examples: ['durable runs list', 'durable runs list --workflow checkout --status failed --limit 20', 'durable runs list --json | jq -r ".runs[].id"'],
  async run(context) {
    const query = listOptions(context.flags)
    const page = await context.connect({ mustExist: true }).list(query)
    if (context.json) {
      context.printJson({ runs: page.runs.map(summaryJson), nextCursor: page.nextCursor ?? null })
      return
    }
    printTable(context, page.runs)
    if (page.nextCursor !== undefined) context.stdout(`\nmore runs: add --cursor ${page.nextCursor}\n`)
  },
}

function printTable(context: CommandContext, runs: readonly RunSummary[]): void {
  if (runs.length === 0) {
    context.stdout('no runs found\n')
    return
  }
  const rows = runs.map((run) => [
    run.id,
    run.workflowName,
    styleStatus(context.style, run.status),
    run.waitingFor === null ? '' : describeWaitingFor(run.waitingFor),
    String(run.attempts),
    run.createdAt.toISOString(),
    run.error === null ? '' : truncate(describeRecordedError(run.error), 60),
  ])
  context.stdout(formatTable(['ID', 'WORKFLOW', 'STATUS', 'WAITING FOR', 'TRIES', 'CREATED', 'ERROR'], rows, { style: context.style }))
}

/** Checks the filter flags before anything connects: a bad value is a usage error (exit 2). */
function listOptions(flags: FlagValues): ListOptions {
  const options: ListOptions = {}
  const workflow = flags.workflow
  if (typeof workflow === 'string') {
    if (workflow === '') throw new UsageError('--workflow needs a workflow name', 'runs list')
    options.workflowName = workflow
  }
  const status = flags.status
  if (typeof status === 'string') {
    if (!(STATUSES as readonly string[]).includes(status)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}; got "${status}"`, 'runs list')
    }
    options.status = status as RunStatus
  }
  const limit = flags.limit
  if (typeof limit === 'string') {
    const n = /^\d+$/.test(limit) ? Number(limit) : Number.NaN
    if (!(n >= 1 && n <= MAX_LIMIT)) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}; got "${limit}"`, 'runs list')
    options.limit = n
  }
  const cursor = flags.cursor
  if (typeof cursor === 'string') {
    if (cursor === '') throw new UsageError('--cursor needs the cursor printed with the previous page', 'runs list')
    options.cursor = cursor
  }
  return options
}
