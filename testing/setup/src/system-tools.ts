/**
 * The programs some tests need beyond npm, installed when missing and possible: as root on a
 * machine with `apt-get` (Debian, Ubuntu). Otherwise one line says what to install, and the tests
 * that need the program fail with their own clear message.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** A program found on `PATH`, and the Debian package that provides it. */
export interface SystemTool {
  readonly command: string
  readonly aptPackage: string
  /** Who needs it, for the message: `"@durable/queue-bullmq's tests"`. */
  readonly neededBy: string
}

/** What the test suite runs besides Node. */
export const TEST_TOOLS: readonly SystemTool[] = [
  { command: 'redis-server', aptPackage: 'redis-server', neededBy: "@durable/queue-bullmq's tests" },
  { command: 'chromium', aptPackage: 'chromium', neededBy: "the dashboard's browser tests (@durable/cli)" },
]

/** The machine, as {@link ensureSystemTools} sees it; tests pass a fake one. */
export interface ToolHost {
  readonly isRoot: boolean
  /** The path of `command` on `PATH`, or undefined. */
  findCommand(command: string): string | undefined
  /** Runs a program to its end; `output` is its stdout and stderr together. */
  run(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<{ code: number | null; output: string }>
  /** Prints one line. */
  log(line: string): void
}

/**
 * Installs the tools of `tools` that are missing, with `apt-get update` and a non-interactive
 * `apt-get install -y --no-install-recommends`, when running as root where `apt-get` exists.
 * Never throws: a tool it cannot provide is reported in one line and returned.
 *
 * ### Example
 * ```ts
 * const missing = await ensureSystemTools(TEST_TOOLS)   // [] when all are there
 * ```
 */
export async function ensureSystemTools(tools: readonly SystemTool[], host: ToolHost = systemHost()): Promise<SystemTool[]> {
  const missing = tools.filter((tool) => host.findCommand(tool.command) === undefined)
  if (missing.length === 0) return []
  const packages = missing.map((tool) => tool.aptPackage)
  const names = missing.map((tool) => tool.command).join(' and ')
  const neededBy = missing.map((tool) => tool.neededBy).join(' and ')
  const advice = `install ${packages.length === 1 ? 'it' : 'them'} (Debian: sudo apt-get install -y ${packages.join(' ')})`
  if (!host.isRoot || host.findCommand('apt-get') === undefined) {
    host.log(`durable tests: ${names} not found, so ${neededBy} will fail: ${advice}`)
    return missing
  }
  host.log(`durable tests: installing ${packages.join(' ')} with apt-get for ${neededBy}`)
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const { code, output } = await host.run('apt-get', args, env)
    if (code !== 0) {
      const lastLine = output.trim().split('\n').at(-1) ?? ''
      host.log(`durable tests: apt-get ${args[0] ?? ''} failed (exit code ${String(code)}: ${lastLine}), so ${neededBy} will fail: ${advice}`)
      return missing
    }
  }
  const stillMissing = missing.filter((tool) => host.findCommand(tool.command) === undefined)
  if (stillMissing.length > 0) {
    host.log(`durable tests: ${stillMissing.map((tool) => tool.command).join(' and ')} still not found after apt-get install: ${advice}`)
  }
  return stillMissing
}

/** This machine: `PATH` lookup, real processes, lines on stderr. */
export function systemHost(): ToolHost {
  return {
    isRoot: process.getuid?.() === 0,
    findCommand,
    run: (command, args, env) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
        let output = ''
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
        child.once('error', (error) => resolve({ code: null, output: error.message }))
        child.once('close', (code) => resolve({ code, output }))
      }),
    log: (line) => process.stderr.write(`${line}\n`),
  }
}

/** The first executable `command` on `PATH`. */
export function findCommand(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const path = join(dir, command)
    try {
      accessSync(path, constants.X_OK)
      return path
    } catch {
      // not in this folder
    }
  }
  return undefined
}
