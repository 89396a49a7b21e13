import type { RunStatus } from '@durable/core'
import type { RunFilter } from '@durable/provider'
import { UsageError } from './cli-error.js'
import type { FlagOptions, FlagValues } from './command.js'

/** The flags that pick runs for `cancel` and `retry` of many. */
export const RUN_FILTER_OPTIONS = {
  workflow: { type: 'string' },
  status: { type: 'string' },
  'created-before': { type: 'string' },
} as const satisfies FlagOptions

const STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled']

/** Runs picked by filter flags, and how many of them in words. */
export interface FlagFilter {
  readonly filter: RunFilter
  /** `count` of these runs in words: `3 waiting runs of workflow "checkout"`. */
  runs(count: number): string
}

/**
 * Reads `--workflow`, `--status` and `--created-before`; undefined when none was given. A status
 * not in `statuses` (the ones the command can act on), an empty workflow name or a date that
 * does not parse is a usage error, before anything connects.
 *
 * ### Example
 * ```ts
 * const picked = runFilterFlags(context.flags, 'cancel', { statuses: ['pending', 'waiting'], all: 'active', verb: 'cancelled' })
 * ```
 */
export function runFilterFlags(flags: FlagValues, command: string, accepted: { statuses: readonly RunStatus[]; all: string; verb: string }): FlagFilter | undefined {
  const { workflow, status } = flags
  const createdBefore = flags['created-before']
  if (workflow === undefined && status === undefined && createdBefore === undefined) return undefined
  if (workflow === '' || workflow === true) throw new UsageError('--workflow needs a workflow name', command)
  if (status !== undefined && !accepted.statuses.includes(status as RunStatus)) {
    const known = STATUSES.includes(status as RunStatus)
    throw new UsageError(
      known
        ? `--status ${String(status)}: a ${String(status)} run cannot be ${accepted.verb}; ${command} takes --status ${accepted.statuses.join(', ')}`
        : `--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`,
      command,
    )
  }
  let before: Date | undefined
  if (createdBefore !== undefined) {
    before = typeof createdBefore === 'string' && /^\d{4}-\d{2}-\d{2}/.test(createdBefore) ? new Date(createdBefore) : undefined
    if (before === undefined || Number.isNaN(before.getTime())) {
      throw new UsageError(`--created-before must be a date or an ISO time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z, got ${JSON.stringify(createdBefore)}`, command)
    }
  }
  const filter: RunFilter = {
    ...(typeof workflow === 'string' ? { workflowName: workflow } : {}),
    ...(status !== undefined ? { status: status as RunStatus } : {}),
    ...(before !== undefined ? { createdBefore: before } : {}),
  }
  const of = filter.workflowName !== undefined ? ` of workflow "${filter.workflowName}"` : ''
  const created = filter.createdBefore !== undefined ? ` created before ${filter.createdBefore.toISOString()}` : ''
  return { filter, runs: (count) => `${count} ${filter.status ?? accepted.all} ${count === 1 ? 'run' : 'runs'}${of}${created}` }
}

/** The same filter for `--json`: every field, null when not given. */
export function filterJson(filter: RunFilter): { workflowName: string | null; status: RunStatus | null; createdBefore: string | null } {
  return { workflowName: filter.workflowName ?? null, status: filter.status ?? null, createdBefore: filter.createdBefore?.toISOString() ?? null }
}
