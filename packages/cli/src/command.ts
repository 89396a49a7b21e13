import type { Workflow } from '@durable/core'
import type { Durable } from '@durable/provider'
import type { Connection } from './connect.js'
import type { LoadedWorkflows } from './load-workflows.js'
import type { Style } from './style.js'

/** Flags a command accepts, in `node:util` `parseArgs` form (no `multiple`, no defaults). */
export type FlagOptions = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>

/** Parsed flag values, by long name (`limit`, `database-url`…). */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>

/** Options of {@link CommandContext.connect}. */
export interface ConnectOptions {
  readonly mustExist: boolean
  readonly workflows?: readonly Workflow[]
  /** A `--workflows` module: its `durable`, or its `queue` and `store`, are used when it exports them. */
  readonly app?: LoadedWorkflows | undefined
}

/** What a command gets to work with; the CLI owns the connection and closes it afterwards. */
export interface CommandContext {
  /** Flags of the command line, validated against the command's options. */
  readonly flags: FlagValues
  /** Positional arguments after the command words: all of the command's `args`, then those of its `optionalArgs` given. */
  readonly args: readonly string[]
  /** Directory that relative paths on the command line are resolved from. */
  readonly cwd: string
  /** `--json` was given: print one JSON document on stdout and nothing else. */
  readonly json: boolean
  /** Colours for human output (none unless stdout is a terminal). */
  readonly style: Style
  /** The database in words, without password, for progress messages. */
  readonly target: string
  /** The database the command connects to (to redact it from messages). */
  readonly connection: Connection
  /** Environment variables (`DURABLE_DASHBOARD_TOKEN`, `DURABLE_DEBUG`). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Writes to standard output. */
  stdout(text: string): void
  /** Writes to standard error: warnings and the log of a long-running command (`dashboard`). */
  stderr(text: string): void
  /** Prints `value` as indented JSON and a newline on standard output. */
  printJson(value: unknown): void
  /**
   * Opens the database (once). With `mustExist`, a missing embedded data directory is an error
   * rather than a new empty database: reading commands should not create one. `workflows` are
   * registered with the runtime (default none: only the dashboard takes them).
   */
  connect(options: ConnectOptions): Durable
}

/** One `durable` command: its help, its flags and what it does. */
export interface Command {
  /** The command words, e.g. `runs list`. */
  readonly name: string
  /** One line for the command list and the top of `--help`. */
  readonly summary: string
  /** Required positional arguments, by name (`['id']`). */
  readonly args: readonly string[]
  /** Optional positional arguments after the required ones, by name (`['json']`). */
  readonly optionalArgs?: readonly string[]
  /**
   * The ways to call it, when one line of arguments does not say it: `['cancel <id>', 'cancel
   * --workflow NAME --status STATUS']`. Default: the name and its arguments.
   */
  readonly usages?: readonly string[]
  /** Flags of this command, on top of the connection and output flags every command takes. */
  readonly options: FlagOptions
  /** `--help` lines for the positional arguments: `['[json]', 'the payload, as JSON']`. */
  readonly argHelp?: ReadonlyArray<readonly [string, string]>
  /** `--help` lines for `options`: `['--limit N', 'runs per page, 1–1000 (default 50)']`. */
  readonly flagHelp: ReadonlyArray<readonly [string, string]>
  /** `--help` lines that say what each column of the output holds: `['TRIES', 'tries that reached the journal']`. */
  readonly columnHelp?: ReadonlyArray<readonly [string, string]>
  /** Example command lines for `--help`. */
  readonly examples: readonly string[]
  /** Does the work; throws `UsageError`, `CliError` or whatever the runtime throws. */
  run(context: CommandContext): Promise<void>
}
