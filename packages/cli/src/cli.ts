import { parseArgs } from 'node:util'
import type { Durable } from '@durable/provider'
import { UsageError } from './cli-error.js'
import type { Command, CommandContext, FlagOptions, FlagValues } from './command.js'
import { cancelCommand } from './commands/cancel.js'
import { dashboardCommand } from './commands/dashboard.js'
import { migrateCommand } from './commands/migrate.js'
import { pruneCommand } from './commands/prune.js'
import { retryCommand } from './commands/retry.js'
import { runsListCommand } from './commands/runs-list.js'
import { runsShowCommand } from './commands/runs-show.js'
import { schedulesCommand } from './commands/schedules.js'
import { signalCommand } from './commands/signal.js'
import { describeConnection, openDurable, redact, resolveConnection, type Connection } from './connect.js'
import { loadEmbedded } from './load-embedded.js'
import { describeFailure } from './describe-failure.js'
import { commandHelp, generalHelp, groupHelp } from './help.js'
import { createStyle } from './style.js'

/** Where `runCli` writes and what it reads of its environment; `bin.ts` passes the process's. */
export interface CliIo {
  /** Writes to standard output (results: tables, JSON). */
  stdout(text: string): void
  /** Writes to standard error (error messages). */
  stderr(text: string): void
  /** Environment variables (`DATABASE_URL`, `DURABLE_DEBUG`, `DURABLE_DASHBOARD_TOKEN`). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Directory that a relative `--data-dir` (and the default `.durable`) is resolved from. Default `process.cwd()`. */
  readonly cwd?: string
  /** Colour the human output (stdout is a terminal and `NO_COLOR` is unset). Default false. */
  readonly color?: boolean
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  migrateCommand,
  runsListCommand,
  runsShowCommand,
  signalCommand,
  cancelCommand,
  retryCommand,
  pruneCommand,
  schedulesCommand,
  dashboardCommand,
]

const COMMON_OPTIONS = {
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagOptions

const ALL_OPTIONS: FlagOptions = Object.assign({}, COMMON_OPTIONS, ...COMMANDS.map((command) => command.options))

/**
 * Runs the `durable` command line in this process and resolves to its exit code: 0 ok, 1 error
 * (run not found, database unreachable, data directory locked…), 2 usage error. Never throws;
 * expected errors are one line on stderr (or a JSON `{ error }` with `--json`), with no stack
 * and no connection string.
 *
 * ### Example
 * ```ts
 * const out: string[] = []
 * const code = await runCli(['runs', 'list', '--json'], {
 *   stdout: (text) => out.push(text),
 *   stderr: (text) => process.stderr.write(text),
 *   env: { DATABASE_URL: 'postgres://app:secret@localhost:5432/app' },
 * })
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env
  let json = false
  let connection: Connection | undefined
  let durable: Durable | undefined
  try {
    const loose = parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: false, allowPositionals: true })
    json = loose.values.json === true
    const help = loose.values.help === true
    const words = loose.positionals
    if (words[0] === 'help') return printHelp(io, words.slice(1))
    const command = findCommand(words)
    if (command === undefined) return printHelp(io, words, help)
    if (help) return printHelp(io, words)

    const { flags, args } = parseCommandLine(argv, command)
    const cwd = io.cwd ?? process.cwd()
    connection = resolveConnection({ databaseUrl: stringFlag(flags, 'database-url'), dataDir: stringFlag(flags, 'data-dir') }, env, cwd)
    const opened = connection
    const embedded = opened.kind === 'embedded' ? await loadEmbedded(opened.dataDir) : undefined
    const context: CommandContext = {
      flags,
      args,
      cwd,
      json,
      style: createStyle(io.color === true && !json),
      target: describeConnection(opened),
      connection: opened,
      env,
      stdout: (text) => io.stdout(text),
      stderr: (text) => io.stderr(text),
      printJson: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
      connect: (options) => (durable ??= openDurable(opened, options, embedded)),
    }
    await command.run(context)
    return 0
  } catch (error) {
    const failure = describeFailure(error, connection)
    if (json) {
      io.stderr(`${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`)
    } else {
      io.stderr(`durable: ${failure.message}\n`)
      if (error instanceof UsageError) io.stderr(`Run "durable ${error.command ? `${error.command} ` : ''}--help" for usage.\n`)
    }
    // A bug, not a user mistake: the stack helps only whoever reports it, so only on request.
    if (failure.unexpected && env.DURABLE_DEBUG && error instanceof Error && error.stack) io.stderr(`${redact(error.stack, connection)}\n`)
    return failure.exitCode
  } finally {
    await (durable as Durable | undefined)?.close().catch(() => {})
  }
}

/** The command named by the first positionals (`migrate`, `runs list`), if any. */
function findCommand(words: readonly string[]): Command | undefined {
  return COMMANDS.find((command) => {
    const name = command.name.split(' ')
    return name.every((word, index) => words[index] === word)
  })
}

/**
 * Help for `words` (a command, a group like `runs`, or nothing) on stdout, exit 0. Without
 * `asked`, the words named no command: a usage error, with the closest help on stderr.
 */
function printHelp(io: CliIo, words: readonly string[], asked = true): number {
  const command = findCommand(words)
  if (command !== undefined) {
    io.stdout(commandHelp(command))
    return 0
  }
  const group = words[0] !== undefined ? COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `)) : []
  const known = words.length === 0 || (group.length > 0 && words.length === 1)
  const text = group.length > 0 ? groupHelp(words[0] ?? '', group) : generalHelp(COMMANDS)
  if (asked && known) {
    io.stdout(text)
    return 0
  }
  if (words.length === 0) io.stderr(`durable: missing command\n\n${text}`)
  else if (known) io.stderr(`durable: missing command after "${words[0]}"\n\n${text}`)
  else io.stderr(`durable: unknown command "${words.slice(0, group.length > 0 ? 2 : 1).join(' ')}"\n\n${text}`)
  return 2
}

/** Parses `argv` strictly against one command's flags; a stray flag or argument is a usage error. */
function parseCommandLine(argv: readonly string[], command: Command): { flags: FlagValues; args: string[] } {
  let parsed: { values: FlagValues; positionals: string[] }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...COMMON_OPTIONS, ...command.options }, strict: true, allowPositionals: true })
    // No option is `multiple`, so no value is an array.
    parsed = { values: values as FlagValues, positionals }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error
    const message = (error as Error).message
    const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? ''
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      // `durable signal <id> delta -1`: a negative number reads as a flag unless it follows `--`.
      const hint = /^-\d/.test(flag) && command.optionalArgs?.length ? ` (to pass a negative number, put it after --: durable ${command.name} … -- ${flag})` : ''
      throw new UsageError(`unknown flag ${flag} for "${command.name}"${hint}`, command.name)
    }
    if (/does not take an argument/.test(message)) throw new UsageError(`${flag} takes no value`, command.name)
    throw new UsageError(`${flag} needs a value`, command.name)
  }
  const args = parsed.positionals.slice(command.name.split(' ').length)
  const missing = command.args[args.length]
  if (missing !== undefined) throw new UsageError(`missing <${missing}>`, command.name)
  const extra = args[command.args.length + (command.optionalArgs?.length ?? 0)]
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" for "${command.name}"`, command.name)
  return { flags: parsed.values, args }
}

function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' ? value : undefined
}
