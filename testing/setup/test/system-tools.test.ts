import { describe, expect, it } from 'vitest'
import { ensureSystemTools, findCommand, systemHost, type SystemTool, type ToolHost } from '../src/system-tools.ts'

const MISSING = 'durable-no-such-command-4f2a'
const tool: SystemTool = { command: MISSING, aptPackage: 'durable-no-such-package', neededBy: 'the make-believe tests' }

/** A machine where `installed` are on PATH and apt-get answers with `aptCode`. */
function fakeHost(options: { isRoot: boolean; installed: string[]; aptCode?: number }) {
  const installed = new Set(options.installed)
  const runs: { command: string; args: readonly string[]; env: Readonly<Record<string, string>> }[] = []
  const lines: string[] = []
  const host: ToolHost = {
    isRoot: options.isRoot,
    findCommand: (command) => (installed.has(command) ? `/usr/bin/${command}` : undefined),
    async run(command, args, env) {
      runs.push({ command, args, env })
      const code = options.aptCode ?? 0
      if (code === 0 && args[0] === 'install') installed.add(MISSING)
      return { code, output: code === 0 ? 'done\n' : 'E: Unable to locate package durable-no-such-package\n' }
    },
    log: (line) => lines.push(line),
  }
  return { host, runs, lines }
}

describe('ensureSystemTools', () => {
  it('does nothing when every tool is on PATH', async () => {
    const { host, runs, lines } = fakeHost({ isRoot: true, installed: [MISSING, 'apt-get'] })
    expect(await ensureSystemTools([tool], host)).toEqual([])
    expect({ runs, lines }).toEqual({ runs: [], lines: [] })
  })

  it('as root with apt-get: updates, then installs non-interactively without recommends', async () => {
    const { host, runs, lines } = fakeHost({ isRoot: true, installed: ['apt-get'] })
    expect(await ensureSystemTools([tool], host)).toEqual([])
    const env = { DEBIAN_FRONTEND: 'noninteractive' }
    expect(runs).toEqual([
      { command: 'apt-get', args: ['update'], env },
      { command: 'apt-get', args: ['install', '-y', '--no-install-recommends', 'durable-no-such-package'], env },
    ])
    expect(lines).toEqual(['durable tests: installing durable-no-such-package with apt-get for the make-believe tests'])
  })

  it('not root: runs nothing and says in one line what to install', async () => {
    const { host, runs, lines } = fakeHost({ isRoot: false, installed: ['apt-get'] })
    expect(await ensureSystemTools([tool], host)).toEqual([tool])
    expect(runs).toEqual([])
    expect(lines).toEqual([`durable tests: ${MISSING} not found, so the make-believe tests will fail: install it (Debian: sudo apt-get install -y durable-no-such-package)`])
  })

  it('root without apt-get: says what to install', async () => {
    const { host, runs, lines } = fakeHost({ isRoot: true, installed: [] })
    expect(await ensureSystemTools([tool], host)).toEqual([tool])
    expect(runs).toEqual([])
    expect(lines).toHaveLength(1)
  })

  it('a failed apt-get is one line with its last words, and the tool stays missing', async () => {
    const { host, lines } = fakeHost({ isRoot: true, installed: ['apt-get'], aptCode: 100 })
    expect(await ensureSystemTools([tool], host)).toEqual([tool])
    expect(lines.at(-1)).toBe(
      'durable tests: apt-get update failed (exit code 100: E: Unable to locate package durable-no-such-package), so the make-believe tests will fail: install it (Debian: sudo apt-get install -y durable-no-such-package)',
    )
  })

  it('on this machine: a missing command is reported, not installed, when apt-get may not run', async () => {
    const lines: string[] = []
    const host: ToolHost = { ...systemHost(), isRoot: false, log: (line) => lines.push(line) }
    expect(await ensureSystemTools([tool], host)).toEqual([tool])
    expect(lines).toEqual([expect.stringContaining(`${MISSING} not found`)])
  })
})

describe('systemHost', () => {
  it('finds commands on PATH', () => {
    expect(findCommand('node')).toMatch(/\/node$/)
    expect(findCommand(MISSING)).toBeUndefined()
  })

  it('reports a program that cannot be started instead of throwing', async () => {
    const result = await systemHost().run(MISSING, [], {})
    expect(result.code).toBeNull()
    expect(result.output).toContain('ENOENT')
  })
})
