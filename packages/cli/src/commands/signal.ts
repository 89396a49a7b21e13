import { connectApp, WORKFLOWS_FLAG_HELP } from '../app-connection.js'
import { UsageError } from '../cli-error.js'
import type { Command } from '../command.js'
import { parseJsonArgument } from '../json-argument.js'
import { explainRunError } from '../run-errors.js'

/**
 * `durable signal <id> <name> [json]`: sends a signal to a run, for its `waitForSignal(name)`
 * step. The payload is parsed with `JSON.parse` (omitted: `null`). A signal sent before the run
 * waits is kept until it does. Needs no workflows; `--workflows` names the app's queue to wake the
 * run through (see {@link connectApp}).
 */
export const signalCommand: Command = {
  name: 'signal',
  summary: 'Send a signal to a run, for its waitForSignal(name) step.',
  args: ['id', 'name'],
  optionalArgs: ['json'],
  argHelp: [
    ['<id>', 'the run'],
    ['<name>', 'the name of the waitForSignal step'],
    ['[json]', "the payload, as JSON: the wait step's result (default null); quote it for the shell"],
  ],
  options: { workflows: { type: 'string' } },
  flagHelp: [WORKFLOWS_FLAG_HELP],
  examples: [
    `durable signal 01JD2Q7ZK4X8M3VYB5N6P0R2ST approved '{"by":"ann"}'`,
    'durable signal 01JD2Q7ZK4X8M3VYB5N6P0R2ST approved',
    'durable signal 01JD2Q7ZK4X8M3VYB5N6P0R2ST adjust -- -1',
  ],
  async run(context) {
    const [runId = '', name = '', text] = context.args
    if (name === '') throw new UsageError('<name> must be the name of a waitForSignal step, not empty', 'signal')
    // Checked before connecting: a typo costs no round trip.
    const payload = text === undefined ? null : parseJsonArgument(text, 'payload', 'signal')
    const { durable, woken } = await connectApp(context, 'signal')
    try {
      await durable.signal(runId, name, payload)
    } catch (error) {
      throw explainRunError(error, runId, 'signal', `send it signal "${name}"`)
    }
    woken()
    if (context.json) context.printJson({ ok: true, runId, signal: name, payload })
    else context.stdout(`sent signal "${name}" to run ${runId}\n`)
  },
}
