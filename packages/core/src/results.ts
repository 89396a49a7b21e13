import type { Json } from './json.js'
import type { JournalKind } from './run-state.js'

/**
 * Journal kinds whose `result` is a step's result (`ctx.results[name]`). The one list: the store
 * loads these kinds, and {@link runResults} folds them.
 */
export const RESULT_KINDS: readonly JournalKind[] = ['step_completed', 'signal_received', 'child_completed', 'route_selected']

/** A journal entry as far as results go. */
export interface ResultEntry {
  readonly stepKey: string
  readonly stepName: string
  readonly kind: JournalKind
  readonly result?: Json
}

/**
 * The results of a run — each finished step's name mapped to its result — computed from its
 * journal entries in `seq` order. The only way results are made: a worker's `ctx.results`,
 * `find()`, `waitFor()` and a parent's view of its child all come from here. A parallel
 * branch's result (`notify.email`) goes into its node's map (`results.notify.email`); a loop's
 * later iterations overwrite earlier ones.
 *
 * ### Example
 * ```ts
 * const results = runResults(await durable.journal(runId))
 * ```
 */
export function runResults(entries: Iterable<ResultEntry>): Record<string, Json> {
  const results: Record<string, Json> = {}
  for (const entry of entries) addRunResult(results, entry)
  return results
}

/** Folds one more journal entry into `results` (see {@link runResults}); other kinds are ignored. */
export function addRunResult(results: Record<string, Json>, entry: ResultEntry): void {
  if (!RESULT_KINDS.includes(entry.kind)) return
  const result = entry.result ?? null
  if (entry.stepKey.startsWith(`${entry.stepName}.`)) {
    const branches = results[entry.stepName]
    const map = typeof branches === 'object' && branches !== null && !Array.isArray(branches) ? branches : {}
    results[entry.stepName] = { ...map, [entry.stepKey.slice(entry.stepName.length + 1)]: result }
  } else {
    results[entry.stepName] = result
  }
}
