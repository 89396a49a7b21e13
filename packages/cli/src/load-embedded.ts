import type { Workflow } from '@durable/core'
import type { Durable, Logger } from '@durable/provider'
import { CliError } from './cli-error.js'

/**
 * What the CLI takes from `@durable/embedded`, spelled out rather than imported, so the CLI's
 * types do not name a package that may not be installed.
 */
export interface EmbeddedModule {
  embeddedDurable(options: { workflows: readonly Workflow[]; dataDir: string; logger: Logger }): Durable
  /** The process that has the data directory open, and where it serves it, if one does. */
  dataDirOwner(dataDir: string): { readonly pid: number; readonly socket?: { readonly host: string; readonly port: number } | undefined } | undefined
}

/**
 * Loads `@durable/embedded`, an optional peer dependency: it brings PGlite (some 27 MB), which a
 * CLI that only reads PostgreSQL does not need. So it is imported here, only when the connection
 * is an embedded data directory. When it is missing, the error (`EMBEDDED_NOT_INSTALLED`, saying
 * what to install or set) is returned rather than thrown: `openDurable` throws it only if it needs
 * the embedded database after all (a `--workflows` module may bring its own `durable`).
 */
export async function loadEmbedded(dataDir: string): Promise<EmbeddedModule | CliError> {
  try {
    const { dataDirOwner, embeddedDurable } = await import('@durable/embedded')
    return { dataDirOwner, embeddedDurable }
  } catch (error) {
    if (!isMissing(error, '@durable/embedded')) throw error
    return new CliError(
      'EMBEDDED_NOT_INSTALLED',
      `the embedded database (${dataDir}) needs @durable/embedded: npm install @durable/embedded — or set DATABASE_URL (or --database-url) to use PostgreSQL`,
      { cause: error },
    )
  }
}

/** True when `error` says that `name` itself (not one of its own imports) cannot be found. */
function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${name}'`)
}
