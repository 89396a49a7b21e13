import { isTerminal, type JournalEntry, type PendingSignal } from '@durable/core'
import type { RunSnapshot } from '@durable/provider'
import type { Command, CommandContext } from '../command.js'
import { formatFields, formatTable } from '../format-table.js'
import { describeRecordedError, describeWaitingFor, formatElapsed, formatInstant, oneLine } from '../format-values.js'
import { journalEntryJson, pendingSignalJson, snapshotJson } from '../json-output.js'
import { explainRunError } from '../run-errors.js'
import { styleStatus } from '../style.js'

/** Marks the journal entries of compensators, which undo a step rather than run it. */
export const COMPENSATION_MARK = '↩'

/** `durable runs show <id>`: a run, what it waits for, its pending signals, then its journal as a timeline. */
export const runsShowCommand: Command = {
  name: 'runs show',
  summary: 'Show a run, what it waits for, the signals it has not taken yet, and its journal as a timeline.',
  args: ['id'],
  options: {},
  flagHelp: [],
  columnHelp: [
    ['waiting for', 'what a waiting run waits for: signal NAME [until T], timer T (a sleep), child RUN-ID'],
    ['tries', 'tries of steps and compensators that reached the journal, over the whole run (a retried step counts each try)'],
    ['Pending signals', 'signals sent to the run that it has not taken yet: kept until it reaches their waitForSignal step'],
  ],
  examples: ['durable runs show 01JD2Q7ZK4X8M3VYB5N6P0R2ST', 'durable runs show 01JD2Q7ZK4X8M3VYB5N6P0R2ST --json | jq ".journal"'],
  async run(context) {
    const runId = context.args[0] ?? ''
    const durable = context.connect({ mustExist: true })
    let run: RunSnapshot
    let journal: JournalEntry[]
    let signals: PendingSignal[]
    try {
      run = await durable.find(runId)
      ;[journal, signals] = await Promise.all([durable.journal(runId), durable.pendingSignals(runId)])
    } catch (error) {
      // Not found: exit 1. The runtime refuses ids that cannot be run ids (empty, too long): exit 2.
      throw explainRunError(error, runId, 'runs show', 'show it')
    }
    if (context.json) context.printJson({ run: snapshotJson(run), journal: journal.map(journalEntryJson), pendingSignals: signals.map(pendingSignalJson) })
    else printRun(context, run, journal, signals)
  },
}

function printRun(context: CommandContext, run: RunSnapshot, journal: readonly JournalEntry[], signals: readonly PendingSignal[]): void {
  const { style } = context
  const fields: Array<[string, string]> = [
    ['workflow', run.workflowName],
    ['status', styleStatus(style, run.status)],
  ]
  if (run.waitingFor !== null) fields.push(['waiting for', describeWaitingFor(run.waitingFor)])
  if (run.error !== null) fields.push(['error', style.red(describeRecordedError(run.error))])
  fields.push(['tries', String(run.attempts)], ['created', run.createdAt.toISOString()], ['updated', run.updatedAt.toISOString()])
  if (run.parentRunId !== null) fields.push(['parent', run.parentRunId])
  fields.push(['input', oneLine(run.input, 100)])
  if (run.result !== null) fields.push(['result', oneLine(run.result, 100)])
  context.stdout(`${style.bold(`Run ${run.id}`)}\n${formatFields(fields, { indent: 2, style })}\n`)
  printSignals(context, run, signals)

  if (journal.length === 0) {
    context.stdout('Journal: no entries yet\n')
    return
  }
  context.stdout(`${style.bold(`Journal (${journal.length} ${journal.length === 1 ? 'entry' : 'entries'})`)}\n`)
  let previous = run.createdAt.getTime()
  const rows = journal.map((entry) => {
    const since = formatElapsed(entry.createdAt.getTime() - previous)
    previous = entry.createdAt.getTime()
    return [String(entry.seq), entry.stepKey, kindLabel(context, entry), String(entry.attempt), since, outcome(context, entry)]
  })
  context.stdout(formatTable(['SEQ', 'STEP', 'KIND', 'ATTEMPT', 'SINCE', 'RESULT / ERROR'], rows, { style }))
}

/** The signals the run has not taken yet; "none" only matters while the run can still take one. */
function printSignals(context: CommandContext, run: RunSnapshot, signals: readonly PendingSignal[]): void {
  if (signals.length === 0) {
    if (!isTerminal(run.status)) context.stdout('Pending signals: none\n\n')
    return
  }
  const note = isTerminal(run.status) ? ', never taken: the run ended' : ''
  context.stdout(`${context.style.bold(`Pending signals (${signals.length}${note})`)}\n`)
  const rows = signals.map((signal) => [signal.name, formatInstant(signal.sentAt), oneLine(signal.payload, 60)])
  context.stdout(`${formatTable(['NAME', 'SENT', 'PAYLOAD'], rows, { style: context.style })}\n`)
}

/** The kind, with compensations marked: `↩ compensated`. */
function kindLabel({ style }: CommandContext, entry: JournalEntry): string {
  switch (entry.kind) {
    case 'compensated':
      return style.yellow(`${COMPENSATION_MARK} ${entry.kind}`)
    case 'compensation_failed':
      return style.red(`${COMPENSATION_MARK} ${entry.kind}`)
    case 'step_failed':
      return style.red(entry.kind)
    default:
      return entry.kind
  }
}

/** The result as one line of JSON, or the error's message and code. */
function outcome({ style }: CommandContext, entry: JournalEntry): string {
  if (entry.error !== undefined) return style.red(describeRecordedError(entry.error))
  return oneLine(entry.result, 60)
}
