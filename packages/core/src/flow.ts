import { DurableError } from './errors.js'
import type { StepError } from './errors.js'
import { append } from './journal-record.js'
import { withoutTimer } from './node-timer.js'
import { childKind } from './nodes/child.js'
import { loopKind } from './nodes/loop.js'
import type { Flow, NodeKind } from './nodes/node-kind.js'
import { branchesToCompensate, parallelKind } from './nodes/parallel.js'
import { routeKind } from './nodes/route.js'
import { signalWaitKind } from './nodes/signal-wait.js'
import { sleepKind } from './nodes/sleep.js'
import { runCompensation, stepKind } from './nodes/step.js'
import { indexOf, nodeNamed, skipped, stepAfter } from './plan.js'
import type { Command, JournalRecord, RunError, RunState, Transition } from './run-state.js'
import type { Workflow, WorkflowNode } from './workflow-nodes.js'

/** Each node kind's transitions, by kind. */
const KINDS: { readonly [K in WorkflowNode['kind']]: NodeKind<Extract<WorkflowNode, { kind: K }>> } = {
  step: stepKind,
  loop: loopKind,
  sleep: sleepKind,
  waitForSignal: signalWaitKind,
  route: routeKind,
  child: childKind,
  parallel: parallelKind,
}

/** The transitions of the kind of `node`. */
export function kindOf(node: WorkflowNode): NodeKind<WorkflowNode> {
  return KINDS[node.kind] as NodeKind<WorkflowNode>
}

const flows = new WeakMap<Workflow, Flow>()

/** The moves of a run through `workflow`'s plan, handed to the node kinds. */
export function flowOf(workflow: Workflow): Flow {
  let flow = flows.get(workflow)
  if (flow === undefined) {
    flow = {
      workflow,
      continueAt: (state, at, commands) => continueAt(flow!, state, at, commands),
      next: (state, at, commands) => continueAt(flow!, advance(workflow, state), at, commands),
      failForGood: (state, node, error, entry) => failForGood(flow!, state, node, error, entry),
      compensateFrom: (state, step, commands) => compensateFrom(flow!, state, step, commands),
      compensateBefore: (state, step, commands) => compensateBefore(flow!, state, step, commands),
    }
    flows.set(workflow, flow)
  }
  return flow
}

/** Enters the node named `state.step`, or completes the run past the last one. */
function continueAt(flow: Flow, state: RunState, at: string, commands: Command[]): Transition {
  const node = nodeNamed(flow.workflow, state.step)
  if (node !== undefined) return kindOf(node).enter(flow, node, state, at, commands)
  if (state.step !== null) throw unknownStep(flow.workflow, state.step)
  return { state: { ...state, status: 'completed' }, commands: [...commands, { type: 'completeRun' }] }
}

/** The state moved on to the next node: attempts start again at 1, the node's cursor goes. */
function advance(workflow: Workflow, state: RunState): RunState {
  const { attemptOffset: _, cursor: __, ...rest } = state
  return { ...rest, step: state.step === null ? null : stepAfter(workflow, state.step), attempt: 1 }
}

/** The node failed for good: remember where (for `retry`) and roll back the finished steps. */
function failForGood(flow: Flow, state: RunState, node: WorkflowNode, error: StepError, entry: JournalRecord): Transition {
  const runError: RunError = { message: error.message, step: node.name, ...(error.code !== undefined ? { code: error.code } : {}) }
  const failedAt = { step: node.name, attempt: state.attempt, ...(state.cursor !== undefined ? { cursor: state.cursor } : {}) }
  return compensateBefore(flow, { ...state, error: runError, failedAt }, node.name, [append(entry)])
}

/** Rolls back from the node named `step` down: a parallel node's own branches first. */
function compensateFrom(flow: Flow, state: RunState, step: string | null, commands: Command[]): Transition {
  const node = nodeNamed(flow.workflow, step)
  const next = node?.kind === 'parallel' ? branchesToCompensate(node, state)[0] : undefined
  if (node === undefined || next === undefined) return compensateBefore(flow, state, step, commands)
  // While a partly run node is rolled back, its branches say which completed.
  const branches = state.step === node.name && state.cursor?.kind === 'parallel' ? state.cursor.branches : undefined
  const cursor = { kind: 'parallel' as const, ...(branches !== undefined ? { branches } : {}), compensating: next.branch }
  return { state: { ...state, status: 'compensating', step: node.name, attempt: 1, cursor }, commands: [...commands, runCompensation(next, 1)] }
}

/**
 * Compensates the nearest node before the one named `step` that has something to undo — a
 * step's compensator, a parallel node's branches — or ends the run `failed` (`cancelled` when
 * a cancel rolled it back). Nodes before `compensated.before` were undone by an earlier rollback.
 */
function compensateBefore(flow: Flow, state: RunState, step: string | null, commands: Command[]): Transition {
  const { workflow } = flow
  const floor = state.compensated?.before === undefined ? 0 : indexOf(workflow, state.compensated.before)
  for (let i = indexOf(workflow, step) - 1; i >= floor; i--) {
    const node = workflow.steps[i]!
    if (skipped(node, state)) continue
    if (node.kind === 'parallel' && branchesToCompensate(node, state).length > 0) return compensateFrom(flow, state, node.name, commands)
    if (node.kind !== 'step' || node.compensation === undefined) continue
    const { cursor: _, ...rest } = state
    return { state: { ...rest, status: 'compensating', step: node.name, attempt: 1 }, commands: [...commands, runCompensation(node, 1)] }
  }
  const error = state.error ?? { message: 'run failed' }
  const status = error.code === 'RUN_CANCELLED' ? 'cancelled' : 'failed'
  return { state: { ...withoutTimer(state), status }, commands: [...commands, { type: 'failRun', error }] }
}

/** A run names a step its definition does not have: never drive it with this definition. */
function unknownStep(workflow: Workflow, step: string): DurableError {
  return new DurableError(
    'INVALID_DEFINITION',
    `the run is at step "${step}", which workflow "${workflow.name}"${workflow.version === undefined ? '' : ` version "${workflow.version}"`} does not have: it must be driven by the definition it started with`,
  )
}
