import { DurableError } from './errors.js'
import { withoutTimer } from './node-timer.js'
import { replay, type JournaledRecord } from './replay.js'
import type { JournalKind, RunState } from './run-state.js'
import type { Workflow, WorkflowNode } from './workflow-nodes.js'

/** What a fork starts with: copies of the original's entries, and the state they replay to. */
export interface ForkPlan {
  /** The original's entries of the top-level steps kept, in their order. */
  readonly entries: readonly JournaledRecord[]
  /** The state those entries replay to: the fork runs from `fromStep` on. */
  readonly state: RunState
  /** The top-level step the fork runs first. */
  readonly fromStep: string
}

/** Entries about the run as a whole or about undoing: a fork keeps none of them. */
const NOT_COPIED: ReadonlySet<JournalKind> = new Set(['cancel_requested', 'run_timed_out', 'run_retried', 'compensated', 'compensation_failed'])

/**
 * Plans a fork of a run onto `workflow` (its own definition or another version): the top-level
 * steps before `fromStep` keep what the original journaled for them and do not run again;
 * `fromStep` and what follows run anew. The kept entries must replay, under `workflow`, past
 * each kept step: the first step the original did not finish — or that `workflow` reaches
 * otherwise — is where the fork starts, `fromStep` or not. Without `fromStep`, the fork starts at
 * the original's first unfinished step. Pure; throws `INVALID_INPUT` for an unknown step.
 *
 * ### Example
 * ```ts
 * const plan = planFork(checkoutV2, journalOfTheOriginal, 'charge')
 * ```
 */
export function planFork(workflow: Workflow, journal: readonly JournaledRecord[], fromStep?: string): ForkPlan {
  const topLevel = workflow.steps.filter((node) => node.inBranch === undefined)
  const stop = fromStep === undefined ? topLevel.length : topLevel.findIndex((node) => node.name === fromStep)
  if (stop < 0) {
    throw new DurableError(
      'INVALID_INPUT',
      `fork fromStep "${fromStep}" is not a top-level step of workflow "${workflow.name}"${workflow.version === undefined ? '' : ` version "${workflow.version}"`} (its steps: ${topLevel.map((node) => `"${node.name}"`).join(', ')})`,
    )
  }
  let kept: JournaledRecord[] = []
  let state = replay(workflow, [])
  const names = new Set<string>()
  let at = 0
  for (; at < stop; at++) {
    for (const name of namesOf(workflow, topLevel[at]!)) names.add(name)
    const tried = journal.filter((e) => names.has(e.stepName) && !NOT_COPIED.has(e.kind))
    const next = replay(workflow, tried)
    // Kept only if the entries finish the step: the run is then at the next top-level step.
    const nextStep = topLevel[at + 1]?.name
    const finished = nextStep === undefined ? next.status === 'completed' : next.step === nextStep && ['running', 'pending', 'waiting'].includes(next.status)
    if (!finished) break
    kept = tried
    // The replay entered the next step as the original did (a signal wait started its timeout
    // then); the fork enters it afresh when it starts.
    state = { ...withoutTimer(next), status: next.status === 'pending' ? 'pending' : 'running' }
  }
  if (at === topLevel.length) {
    throw new DurableError('INVALID_INPUT', `every step of the run finished: pass fork(runId, { fromStep }) to say which step runs again`)
  }
  return { entries: kept, state, fromStep: topLevel[at]!.name }
}

/** The journal step names of a top-level node: its own, and a route's nested nodes'. */
function namesOf(workflow: Workflow, node: WorkflowNode): Set<string> {
  const names = new Set([node.name])
  if (node.kind !== 'route') return names
  for (const inner of workflow.steps) if (inner.inBranch?.some((b) => b.route === node.name)) names.add(inner.name)
  return names
}
