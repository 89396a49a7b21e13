import type { RunState } from './run-state.js'
import type { RouteDefinition, Workflow, WorkflowNode } from './workflow-nodes.js'

/*
 * Where things are in a workflow's plan. A run names its place by step name; these turn a name
 * into the node and its neighbours. The plan is a flat list in which a route's branches follow
 * the route; `inBranch` says which branch a node sits in.
 */

/** The node named `step`; undefined past the end (null) or for a name the plan does not have. */
export function nodeNamed(workflow: Workflow, step: string | null): WorkflowNode | undefined {
  return step === null ? undefined : workflow.steps.find((node) => node.name === step)
}

/** The plan index of the node named `step`; the plan's length past the end. */
export function indexOf(workflow: Workflow, step: string | null): number {
  if (step === null) return workflow.steps.length
  const index = workflow.steps.findIndex((node) => node.name === step)
  return index < 0 ? workflow.steps.length : index
}

/** The name of the node at plan index `index`; null past the end. */
export function nameAt(workflow: Workflow, index: number): string | null {
  return workflow.steps[index]?.name ?? null
}

/**
 * The step after the node named `step`, or after plan index `next` when given: the end of a
 * route's branch leads out of the route (and out of the routes around it).
 */
export function stepAfter(workflow: Workflow, step: string, next = indexOf(workflow, step) + 1): string | null {
  const branches = nodeNamed(workflow, step)?.inBranch ?? []
  for (let i = branches.length - 1; i >= 0; i--) {
    const route = nodeNamed(workflow, branches[i]!.route) as RouteDefinition
    if (next !== route.branches[branches[i]!.key]!.end) break
    next = route.after
  }
  return nameAt(workflow, next)
}

/** True when the node sits in a branch its route did not choose (it never ran). */
export function skipped(node: WorkflowNode, state: RunState): boolean {
  return node.inBranch?.some((b) => state.routes?.[b.route] !== b.key) ?? false
}

/** The names of the signals a workflow waits for (its `waitForSignal` steps), in plan order. */
export function signalNames(workflow: Workflow): string[] {
  return workflow.steps.filter((node) => node.kind === 'waitForSignal').map((node) => node.name)
}
