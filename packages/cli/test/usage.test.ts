import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/index.ts'
import { cli } from './helpers.ts'

// None of these reach a database: usage is checked before connecting.
const env = { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' }

describe('durable usage', () => {
  it('prints the commands with --help, and exits 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const { code, stdout, stderr } = await cli(argv, { env })
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
      expect(stdout).toContain('Usage: durable <command> [flags]')
      for (const name of ['migrate', 'runs list', 'runs show <id>', 'signal <id> <name> [json]', 'cancel <id>', 'retry <id>', '--database-url URL', '--data-dir DIR', '--json'])
        expect(stdout).toContain(name)
      expect(stdout).toContain('Exit codes: 0 ok, 1 error')
    }
  })

  it.each(COMMANDS.map((command) => [command.name]))('prints the help of "%s" with --help, and exits 0', async (name) => {
    const words = name.split(' ')
    for (const argv of [
      [...words, '--help'],
      ['help', ...words],
      ['--help', ...words, '--bogus'],
    ]) {
      const { code, stdout } = await cli(argv, { env })
      expect(code).toBe(0)
      expect(stdout).toMatch(new RegExp(`^Usage: durable ${name}`))
      expect(stdout).toContain('--json')
      expect(stdout).toContain('Examples:')
    }
  })

  it('lists the runs commands with "durable runs --help"', async () => {
    const { code, stdout } = await cli(['runs', '--help'], { env })
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: durable runs <command> [flags]')
    expect(stdout).toMatch(/runs list +List runs/)
    expect(stdout).toMatch(/runs show <id> +Show a run/)
  })

  it.each([
    [[], 'durable: missing command\n'],
    [['deploy'], 'durable: unknown command "deploy"\n'],
    [['runs'], 'durable: missing command after "runs"\n'],
    [['runs', 'delete', 'x'], 'durable: unknown command "runs delete"\n'],
  ])('exits 2 for %j, with the help on stderr', async (argv, first) => {
    const { code, stdout, stderr } = await cli(argv, { env })
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr.startsWith(first)).toBe(true)
    expect(stderr).toContain('Usage: durable')
  })

  it.each([
    [['migrate', '--force'], 'unknown flag --force for "migrate"'],
    [['migrate', '--status', 'failed'], 'unknown flag --status for "migrate"'],
    [['runs', 'list', '--database-url'], '--database-url needs a value'],
    [['runs', 'list', '--database-url', 'postgres://a@b/c', '--data-dir', 'x'], 'use either --database-url or --data-dir, not both'],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, stderr } = await cli(argv, { env })
    expect(code).toBe(2)
    expect(stderr.split('\n')[0]).toBe(`durable: ${message}`)
  })

  it('refuses a URL that is not postgres:// without echoing it', async () => {
    const bad = await cli(['runs', 'list'], { env: { DATABASE_URL: 'mysql://root:hunter2@db/app' } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('DATABASE_URL must start with postgres:// or postgresql://')
    expect(bad.stderr).not.toContain('hunter2')
    const garbled = await cli(['runs', 'list', '--database-url', 'hunter2 is my password'])
    expect(garbled.code).toBe(2)
    expect(garbled.stderr).toContain('--database-url is not a valid URL')
    expect(garbled.stderr).not.toContain('hunter2')
  })

  it('reports a usage error as JSON on stderr with --json', async () => {
    const { code, stdout, stderr } = await cli(['runs', 'list', '--json', '--limit', 'x'], { env })
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(JSON.parse(stderr)).toEqual({ error: { code: 'USAGE', message: '--limit must be a whole number from 1 to 1000; got "x"' } })
  })
})
