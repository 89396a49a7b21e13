import type { Command } from '../command.js'

/** `durable migrate`: creates or upgrades the durable tables (runs, journal, jobs). Idempotent. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Create or upgrade the durable tables (idempotent).',
  args: [],
  options: {},
  flagHelp: [],
  examples: ['DATABASE_URL=postgres://app@db:5432/app durable migrate', 'durable migrate --data-dir .durable'],
  async run(context) {
    const started = Date.now()
    if (!context.json) context.stdout(`migrating ${context.target}… `)
    await context.connect({ mustExist: false }).migrate()
    const ms = Date.now() - started
    if (context.json) context.printJson({ migrated: true, target: context.target, durationMs: ms })
    else context.stdout(`done (${ms} ms)\n`)
  },
}
