import { UsageError } from '../cli-error.js'
import type { Command, CommandContext, FlagValues } from '../command.js'
import { redact } from '../connect.js'
import { isLoopback } from '../dashboard/allowed-hosts.js'
import { startDashboard } from '../dashboard/dashboard-server.js'
import { FALLBACK_NOTE } from '../app-connection.js'
import { loadWorkflows } from '../load-workflows.js'

const DEFAULT_PORT = 4280
const DEFAULT_HOST = '127.0.0.1'

/**
 * `durable dashboard [--port N] [--host H] [--token T] [--workflows MODULE]`: serves a web page of
 * runs — filters, live refresh, each run's journal as a timeline — until Ctrl+C (SIGINT or
 * SIGTERM). Read-only unless given a token (`--token` or `DURABLE_DASHBOARD_TOKEN`); with one,
 * the page can signal, cancel and retry runs. Listens on 127.0.0.1 unless told otherwise.
 */
export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'Serve a web dashboard of runs on http://127.0.0.1:4280 (read-only without a token).',
  args: [],
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    workflows: { type: 'string' },
  },
  flagHelp: [
    ['--port N', `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`],
    ['--host H', `interface to listen on (default ${DEFAULT_HOST}: this machine only)`],
    ['--token T', 'lets the page signal, cancel and retry runs (default: $DURABLE_DASHBOARD_TOKEN; none: read-only)'],
    ['--workflows MODULE', "your app's ES module: its workflows (to retry runs), and its durable instance or queue (and store), to wake runs through your queue at once"],
  ],
  examples: ['durable dashboard', 'DURABLE_DASHBOARD_TOKEN=$(openssl rand -hex 16) durable dashboard --port 8080', 'durable dashboard --data-dir .durable --port 0 --json'],
  async run(context) {
    const port = portFlag(context.flags)
    const host = hostFlag(context.flags)
    const token = tokenOf(context)
    const loaded = typeof context.flags.workflows === 'string' ? await loadWorkflows(context.flags.workflows, context.cwd, 'dashboard') : undefined
    const durable = context.connect({ mustExist: true, workflows: loaded?.workflows ?? [], app: loaded })
    // Fail now, in the terminal, rather than on the first page view: unreachable, not migrated.
    await durable.list({ limit: 1 })
    const dashboard = await startDashboard({
      durable,
      host,
      port,
      token,
      connection: context.connection,
      onUnexpectedError: (error, request) => {
        const message = error instanceof Error ? error.message : String(error)
        context.stderr(`durable dashboard: ${request} failed unexpectedly: ${redact(message, context.connection)}\n`)
        if (context.env.DURABLE_DEBUG && error instanceof Error && error.stack) context.stderr(`${redact(error.stack, context.connection)}\n`)
      },
    })
    const readOnly = token === undefined
    if (context.json) context.printJson({ url: dashboard.url, host, port: dashboard.port, readOnly, target: context.target })
    else {
      context.stdout(`durable dashboard for ${context.target}\n  ${dashboard.url}\n`)
      context.stdout(
        readOnly
          ? '  read-only: restart with DURABLE_DASHBOARD_TOKEN (or --token) set to signal, cancel and retry runs\n'
          : '  signal, cancel and retry: enter the token in the page\n',
      )
      context.stdout('Ctrl+C to stop\n')
    }
    // Said once it listens: how its signal, cancel and retry wake runs when no module names the app's queue.
    if (loaded?.durable === undefined && loaded?.queue === undefined && context.connection.kind === 'postgres') context.stderr(FALLBACK_NOTE)
    if (!isLoopback(host)) {
      context.stderr(`durable dashboard: warning: listening on ${host}, not only on this machine: whoever reaches port ${dashboard.port} can read your runs' inputs and results\n`)
    }
    await stopRequested()
    await dashboard.close()
  },
}

/** Resolves on the first SIGINT or SIGTERM; a second Ctrl+C then ends the process the usual way. */
function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

function portFlag(flags: FlagValues): number {
  const text = flags.port
  if (typeof text !== 'string') return DEFAULT_PORT
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a whole number from 0 to 65535 (0: a free port); got "${text}"`, 'dashboard')
  return port
}

function hostFlag(flags: FlagValues): string {
  const host = flags.host
  if (typeof host !== 'string') return DEFAULT_HOST
  if (host.trim() === '' || /[\s/]/.test(host)) throw new UsageError(`--host must be a host name or an IP address, like 127.0.0.1; got "${host}"`, 'dashboard')
  return host
}

/** `--token`, else `DURABLE_DASHBOARD_TOKEN`; neither (or an empty variable): read-only. */
function tokenOf(context: CommandContext): string | undefined {
  const flag = context.flags.token
  const fromEnv = context.env.DURABLE_DASHBOARD_TOKEN
  const token = typeof flag === 'string' ? flag : fromEnv === '' ? undefined : fromEnv
  if (token === undefined) return undefined
  const source = typeof flag === 'string' ? '--token' : 'DURABLE_DASHBOARD_TOKEN'
  // The page sends it as "Authorization: Bearer <token>", which cannot carry spaces.
  if (token === '' || /\s/.test(token)) throw new UsageError(`${source} must be some text without spaces, e.g. $(openssl rand -hex 16)`, 'dashboard')
  return token
}
