import { UsageError } from '../cli-error.js'
import type { Command } from '../command.js'
import { explainRunError } from '../run-errors.js'

const MAX_REASON = 1000

/**
 * `durable cancel <id> [--reason TEXT]`: asks for a run to stop. A worker stops it at the next
 * step boundary (aborting a running step's `ctx.signal`), compensates its finished steps and
 * ends it `cancelled`. Needs no workflows.
 */
export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel a run: it stops, compensates its finished steps, and ends cancelled.',
  args: ['id'],
  options: { reason: { type: 'string' } },
  flagHelp: [['--reason TEXT', `why, kept in the run's error: "run cancelled: TEXT" (at most ${MAX_REASON} characters)`]],
  examples: ['durable cancel 01JD2Q7ZK4X8M3VYB5N6P0R2ST', 'durable cancel 01JD2Q7ZK4X8M3VYB5N6P0R2ST --reason "customer asked" --json'],
  async run(context) {
    const runId = context.args[0] ?? ''
    const reason = typeof context.flags.reason === 'string' ? context.flags.reason : undefined
    if (reason === '') throw new UsageError('--reason needs some text', 'cancel')
    if (reason !== undefined && reason.length > MAX_REASON) throw new UsageError(`--reason is ${reason.length} characters long; at most ${MAX_REASON}`, 'cancel')
    const durable = context.connect({ mustExist: true })
    try {
      await durable.cancel(runId, reason === undefined ? {} : { reason })
    } catch (error) {
      throw explainRunError(error, runId, 'cancel', 'cancel it')
    }
    if (context.json) context.printJson({ ok: true, runId, reason: reason ?? null })
    else context.stdout(`cancelling run ${runId}: a worker stops it at the next step boundary, compensates its finished steps and ends it cancelled\n`)
  },
}
