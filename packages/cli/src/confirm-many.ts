import { CliError } from './cli-error.js'
import type { CommandContext } from './command.js'

/**
 * Above this many runs, a command that acts on many (`prune`, `cancel` and `retry` with filters)
 * acts only with `--yes`: a typo in a filter should not cancel or delete the whole database.
 */
export const CONFIRM_ABOVE = 1000

/** `--help` line of the `--yes` flag of such a command: `--yes`, then what it does. */
export function yesHelp(verb: string): readonly [string, string] {
  return ['--yes', `${verb} even when more than ${CONFIRM_ABOVE.toLocaleString('en-US')} runs match`]
}

/**
 * Refuses with `CONFIRMATION_REQUIRED` (exit 1) when `count` runs would be touched, more than
 * {@link CONFIRM_ABOVE}, and `--yes` was not given. `refusal` says what would happen to them
 * and to run again with `--yes`.
 *
 * ### Example
 * ```ts
 * confirmMany(context, count, `${count} runs would be deleted: run again with --yes to delete them`)
 * ```
 */
export function confirmMany(context: CommandContext, count: number, refusal: string): void {
  if (count > CONFIRM_ABOVE && context.flags.yes !== true) throw new CliError('CONFIRMATION_REQUIRED', refusal)
}
