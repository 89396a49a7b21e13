import { FLOW_RECHECK_MS, isTerminal, type ClaimResult, type DefinitionKey } from '@durable/core'
import type { Layer, RunRow } from './memory-tables.js'
import { compareIds, isDueAndFree, matchesDefinition } from './run-queries.js'

/*
 * Flow control in the memory store, with the rules of store-postgres's claim (`claim-run.ts`,
 * `claim-flow.ts`): priority, concurrency keys held back, rate keys with reserved slots. A claim
 * here is one synchronous step over the rows, so claimers are serialized without locks.
 */

/** Due and free runs, highest priority first, then most overdue. @internal */
export function byPriority(a: RunRow, b: RunRow): number {
  return b.flow.priority - a.flow.priority || a.dueAt! - b.dueAt! || compareIds(a.id, b.id)
}

/** True while a live worker holds the run (no liveness here: until its lease expires). */
function held(row: RunRow, now: number): boolean {
  return !isTerminal(row.status) && row.leaseOwner !== null && row.leaseExpiresAt !== null && row.leaseExpiresAt > now
}

/** A due, free run of `definitions` that outranks `row`, if any. */
function betterRun(rows: readonly RunRow[], row: RunRow, now: number, definitions: readonly DefinitionKey[]): RunRow | undefined {
  return rows
    .filter((other) => other.flow.priority > row.flow.priority && other.heldBackAt === null && isDueAndFree(other, now) && definitions.some((d) => matchesDefinition(other, d)))
    .sort(byPriority)[0]
}

/**
 * The flow-control part of a claim of `row` (already found active, known, free and due): a
 * refusal, with the row's change, or undefined when the claim may go ahead — then `begin` says
 * whether the claim counts as the run's begin for its rate key. @internal
 */
export function flowRefusal(layer: Layer, row: RunRow, now: number, definitions: readonly DefinitionKey[]): { refusal?: ClaimResult; begin: boolean } {
  const rows = layer.allRuns()
  const better = betterRun(rows, row, now, definitions)
  const dueAt = row.dueAt === null ? null : new Date(row.dueAt)
  if (better !== undefined) return { refusal: { claimed: false, reason: 'outranked', dueAt, outrankedBy: better.id }, begin: false }
  const { concurrency, rate } = row.flow
  if (concurrency !== null) {
    const holders = rows.filter((other) => other.id !== row.id && other.workflowName === row.workflowName && other.flow.concurrency?.key === concurrency.key && held(other, now))
    if (holders.length >= concurrency.limit) {
      layer.setRun({ ...row, heldBackAt: now })
      return { refusal: { claimed: false, reason: 'limited', dueAt: null }, begin: false }
    }
  }
  if (rate === null || row.status !== 'pending') return { begin: false }
  const ofKey = rows.filter((other) => other.id !== row.id && other.workflowName === row.workflowName && other.flow.rate?.key === rate.key && other.begunAt !== null)
  const begins = ofKey.map((other) => other.begunAt!).sort((a, b) => b - a)
  // Begins after `now` of runs that began (not slots reserved) count too, up to a period ahead:
  // claims do not come in the order of their `now` (as store-postgres's `claim-flow.ts` says).
  const inWindow = ofKey.filter(({ begunAt, status }) => begunAt! > now - rate.periodMs && (begunAt! <= now || (status !== 'pending' && begunAt! < now + rate.periodMs))).length
  if (inWindow < rate.limit) return { begin: true }
  const slot = Math.max(now + 1, begins[rate.limit - 1]! + rate.periodMs)
  layer.setRun({ ...row, dueAt: slot, begunAt: slot, heldBackAt: null })
  return { refusal: { claimed: false, reason: 'limited', dueAt: new Date(slot) }, begin: false }
}

/** The claim of `row` by `owner`, flow columns included. @internal */
export function claimedRow(row: RunRow, owner: string, leaseUntil: number, now: number, begin: boolean): RunRow {
  return { ...row, leaseOwner: owner, leaseExpiresAt: leaseUntil, status: row.status === 'pending' ? 'running' : row.status, heldBackAt: null, begunAt: begin ? now : row.begunAt }
}

/** `findDueRuns`: due, free runs by priority; held-back runs after `FLOW_RECHECK_MS`, or those of one key, as many as its free slots. @internal */
export function dueForFlow(rows: readonly RunRow[], now: number, heldBackOn?: { workflowName: string; concurrencyKey: string }): RunRow[] {
  if (heldBackOn === undefined) {
    return rows.filter((row) => isDueAndFree(row, now) && (row.heldBackAt === null || row.heldBackAt <= now - FLOW_RECHECK_MS)).sort(byPriority)
  }
  const ofKey = rows.filter((row) => !isTerminal(row.status) && row.workflowName === heldBackOn.workflowName && row.flow.concurrency?.key === heldBackOn.concurrencyKey)
  const limit = Math.max(0, ...ofKey.map((row) => row.flow.concurrency!.limit))
  const free = Math.max(0, limit - ofKey.filter((row) => held(row, now)).length)
  return ofKey
    .filter((row) => row.heldBackAt !== null && isDueAndFree(row, now))
    .sort(byPriority)
    .slice(0, free)
}
