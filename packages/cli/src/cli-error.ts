/**
 * The command line was wrong: an unknown command or flag, a missing id, a bad value. Exit code 2.
 *
 * @internal
 */
export class UsageError extends Error {
  override name = 'UsageError'
  /** The command whose `--help` to point at, e.g. `runs list`; empty for the top level. */
  readonly command: string
  constructor(message: string, command = '') {
    super(message)
    this.command = command
  }
}

/**
 * An expected failure with a message written for the user (no stack): exit code 1.
 *
 * @internal
 */
export class CliError extends Error {
  override name = 'CliError'
  /** Machine-readable reason, printed by `--json`: a durable `ErrorCode` or a CLI code. */
  readonly code: string
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
