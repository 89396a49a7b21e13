import type { StepError } from './errors.js'
import type { Json } from './json.js'
import type { Command, JournalRecord, RunState, Transition } from './run-state.js'

/** A journal record about a node (`key` defaults to its journal key: a loop's iteration has its own). */
export function journal(
  node: { readonly key: string; readonly name: string },
  kind: JournalRecord['kind'],
  attempt: number,
  error?: StepError,
  result?: Json,
  key = node.key,
): JournalRecord {
  return { stepKey: key, stepName: node.name, kind, attempt, ...(error !== undefined ? { error } : {}), ...(result !== undefined ? { result } : {}) }
}

/** The command that appends a record to the journal. */
export function append(entry: JournalRecord): Command {
  return { type: 'appendJournal', entry }
}

/** An event that does not fit the state: nothing changes, nothing is done. */
export function unchanged(state: RunState): Transition {
  return { state, commands: [] }
}
