import type { ScheduleInfo } from '@durable/provider'
import type { Command, CommandContext } from '../command.js'
import { formatTable } from '../format-table.js'
import { scheduleJson } from '../json-output.js'

/** `durable schedules`: the schedules the workers keep, with their next slot and last run. */
export const schedulesCommand: Command = {
  name: 'schedules',
  summary: 'List the schedules, with their next slot and last run.',
  args: [],
  options: {},
  flagHelp: [],
  columnHelp: [
    ['NEXT', 'the next slot after now (UTC), by the database clock; the cron is read in the schedule’s time zone'],
    ['LAST RUN', 'the run the last slot started'],
  ],
  examples: ['durable schedules', 'durable schedules --json | jq -r ".schedules[].nextAt"'],
  async run(context) {
    const schedules = await context.connect({ mustExist: true }).schedules()
    if (context.json) {
      context.printJson({ schedules: schedules.map(scheduleJson) })
      return
    }
    printTable(context, schedules)
  },
}

function printTable(context: CommandContext, schedules: readonly ScheduleInfo[]): void {
  if (schedules.length === 0) {
    context.stdout('no schedules: a worker stores them when it starts with createDurable({ schedules })\n')
    return
  }
  const rows = schedules.map((s) => [s.name, s.workflowName, s.cron, s.nextAt?.toISOString() ?? '', s.lastRunId ?? ''])
  context.stdout(formatTable(['NAME', 'WORKFLOW', 'CRON', 'NEXT', 'LAST RUN'], rows, { style: context.style }))
}
