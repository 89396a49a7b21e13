import type { Command } from './command.js'
import { formatFields } from './format-table.js'

const COMMON_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['--database-url URL', 'PostgreSQL connection string (default: $DATABASE_URL)'],
  ['--data-dir DIR', 'embedded database directory (default: .durable, when DATABASE_URL is unset)'],
  ['--json', 'print machine-readable JSON on stdout'],
  ['-h, --help', 'show this help'],
]

const EXIT_CODES = 'Exit codes: 0 ok, 1 error (run not found, database unreachable…), 2 usage error.\n'

/** `durable --help`: the commands and the flags they share. */
export function generalHelp(commands: readonly Command[]): string {
  const list = formatFields(
    commands.flatMap((command) => usages(command).map((form, i): [string, string] => [form, i === 0 ? command.summary : ''])),
    { indent: 2 },
  )
  return [
    'durable: inspect and steer durable workflow runs in PostgreSQL or in an embedded database.\n',
    'Usage: durable <command> [flags]\n',
    `Commands:\n${list}`,
    `Flags (every command):\n${formatFields(COMMON_FLAGS, { indent: 2 })}`,
    'Run "durable <command> --help" for the flags of a command.',
    EXIT_CODES,
  ].join('\n')
}

/** `durable <command> --help`: usage, flags and examples of one command. */
export function commandHelp(command: Command): string {
  const forms = usages(command).map((form, i) => `${i === 0 ? 'Usage: ' : '       '}durable ${form} [flags]`)
  const sections = [`${forms.join('\n')}\n`, `${command.summary}\n`]
  if (command.argHelp?.length) sections.push(`Arguments:\n${formatFields(command.argHelp, { indent: 2 })}`)
  if (command.flagHelp.length > 0) sections.push(`Flags:\n${formatFields(command.flagHelp, { indent: 2 })}`)
  if (command.columnHelp?.length) sections.push(`Columns:\n${formatFields(command.columnHelp, { indent: 2 })}`)
  sections.push(`Connection and output:\n${formatFields(COMMON_FLAGS, { indent: 2 })}`)
  if (command.examples.length > 0) sections.push(`Examples:\n${command.examples.map((example) => `  ${example}`).join('\n')}\n`)
  sections.push(EXIT_CODES)
  return sections.join('\n')
}

/** A command with its arguments: `signal <id> <name> [json]`; or its `usages`, one per form. */
function usages(command: Command): readonly string[] {
  if (command.usages !== undefined) return command.usages
  const required = command.args.map((arg) => ` <${arg}>`).join('')
  const optional = (command.optionalArgs ?? []).map((arg) => ` [${arg}]`).join('')
  return [`${command.name}${required}${optional}`]
}

/** `durable runs --help`: the commands under one group word. */
export function groupHelp(group: string, commands: readonly Command[]): string {
  const list = formatFields(
    commands.map((command) => [usages(command)[0] ?? command.name, command.summary]),
    { indent: 2 },
  )
  return `Usage: durable ${group} <command> [flags]\n\nCommands:\n${list}\nRun "durable ${group} <command> --help" for its flags.\n`
}
