import {
  defineWorkflow,
  initialState,
  type DefinitionKey,
  type NewJournalEntry,
  type NewRun,
  type RunState,
  type RunStatus,
  type RunStore,
  type RunUpdate,
  type StepError,
} from '@durable/core'

/*
 * What the conformance cases build runs from. Times are fixed instants (never the clock), ids
 * sort in creation order like the ULIDs the provider makes, and states come from core's
 * `initialState`, so the cases hold whatever a run state carries.
 */

/** What every case is given: the store under test (a fresh one per case). */
export interface SuiteContext {
  readonly store: () => RunStore
}

const ORIGIN = Date.UTC(2030, 0, 1)

/** An instant `ms` milliseconds after a fixed origin. */
export function at(ms: number): Date {
  return new Date(ORIGIN + ms)
}

let ids = 0

/**
 * A fresh run id; later calls sort after earlier ones. Upper-case letters and digits of one
 * length, as ULIDs are, so every collation orders them the same.
 */
export function newId(): string {
  return `R${String(++ids).padStart(12, '0')}`
}

const workflow = defineWorkflow('wf').step('a', async () => 1)

/** A run state of `status`, with `changes`. */
export function stateOf(status: RunStatus = 'pending', changes: Partial<RunState> = {}): RunState {
  return { ...initialState(workflow), status, ...changes }
}

/** The shape hash the cases' runs record. */
export const SHAPE = 'shape-1'

/** Claim and scan filters for runs of these workflows, as {@link insertRun} creates them. */
export function definitions(...names: string[]): DefinitionKey[] {
  return names.map((name) => ({ name, version: null, shapeHash: SHAPE }))
}

/** A run to create, of workflow `wf`, due at `at(0)`. */
export function newRun(changes: Partial<NewRun> = {}): NewRun {
  return {
    id: newId(),
    workflowName: 'wf',
    workflowVersion: null,
    shapeHash: SHAPE,
    inputJson: '{"n":1}',
    state: stateOf(),
    idempotencyKey: null,
    parentRunId: null,
    now: at(0),
    ...changes,
  }
}

/** Creates a run (see {@link newRun}); returns its id. */
export async function insertRun(store: RunStore, changes: Partial<NewRun> = {}): Promise<string> {
  const { runId, created } = await store.createRun(newRun(changes))
  if (!created) throw new Error(`insertRun: no run created (idempotency key ${JSON.stringify(changes.idempotencyKey)} taken)`)
  return runId
}

/** Claims `runId` for `owner` at `now` with a lease of `leaseMs`; throws, naming the reason, if refused. */
export async function lease(store: RunStore, runId: string, owner: string, now = at(0), leaseMs = 30_000, workflowName = 'wf'): Promise<void> {
  const result = await store.claimRun(runId, { owner, now, leaseUntil: new Date(now.getTime() + leaseMs), definitions: definitions(workflowName) })
  if (!result.claimed) throw new Error(`setup: could not claim run ${runId} for ${owner}: refused as "${result.reason}"`)
}

/** A fenced update of `runId` by `w1` that keeps the lease, with `changes`. */
export function update(runId: string, changes: Partial<RunUpdate> = {}): RunUpdate {
  return { runId, owner: 'w1', state: stateOf('running', { attempts: 1 }), dueAt: at(10), leaseUntil: at(60_000), now: at(5), ...changes }
}

/** A `step_completed` entry. */
export function completed(stepKey: string, result: unknown, attempt = 1): NewJournalEntry {
  return { stepKey, stepName: stepKey.split('.')[0]!, kind: 'step_completed', attempt, resultJson: JSON.stringify(result) }
}

/** A `step_failed` entry. */
export function failed(stepKey: string, attempt = 1, error: StepError = { name: 'Error', message: 'boom', retryable: true }): NewJournalEntry {
  return { stepKey, stepName: stepKey.split('.')[0]!, kind: 'step_failed', attempt, error }
}

/** `[seq, stepKey, kind]` of each journal entry of the run, to compare at a glance. */
export async function journalOf(store: RunStore, runId: string): Promise<Array<[number, string, string]>> {
  return (await store.journal(runId)).map((entry) => [entry.seq, entry.stepKey, entry.kind])
}
