import type { Workflow, WorkflowNode } from './workflow-nodes.js'

/**
 * The shape of a workflow: the names, kinds and nesting of its steps, as one canonical line —
 * `step:reserve > parallel:notify(email,sms) > route:delivery{express[step:courier] standard[step:post]} > sleep:cool-off`.
 * A run records the shape it started with and is driven only by a definition of the same
 * shape: code whose steps were added, removed, renamed or moved without a new `version` leaves
 * old runs waiting rather than half-running them. Handlers, options and durations are not part
 * of the shape; change them freely.
 *
 * ### Example
 * ```ts
 * workflowShape(defineWorkflow('a').step('x', fx).sleep('nap', '1h')) // 'step:x > sleep:nap'
 * ```
 */
export function workflowShape(workflow: Pick<Workflow, 'steps'>): string {
  return shapeOf(workflow.steps.filter((node) => node.inBranch === undefined))
  // Nested nodes are listed inside their route, so each appears once.
  function shapeOf(nodes: readonly WorkflowNode[]): string {
    return nodes.map(nodeShape).join(' > ')
  }
  function nodeShape(node: WorkflowNode): string {
    const head = `${node.kind}:${node.name}`
    if (node.kind === 'parallel') return `${head}(${node.branches.map((b) => b.branch).join(',')})`
    if (node.kind === 'child') return `${head}<${node.workflowName}>`
    if (node.kind !== 'route') return head
    const depth = (node.inBranch?.length ?? 0) + 1
    const branches = Object.entries(node.branches).map(([key, span]) => {
      const inside = workflow.steps.slice(span.start, span.end).filter((n) => n.inBranch?.length === depth)
      return `${key}[${shapeOf(inside)}]`
    })
    return `${head}{${branches.join(' ')}}`
  }
}

/**
 * Says in words how two shapes differ, for the log line of a run that waits for its definition:
 * `steps only in the run: step:go; steps only in the code: step:ship`.
 */
export function describeShapeChange(recorded: string, registered: string): string {
  const before = recorded.split(' > ')
  const after = registered.split(' > ')
  const gone = before.filter((s) => !after.includes(s))
  const added = after.filter((s) => !before.includes(s))
  const parts = [...(gone.length > 0 ? [`steps only in the run: ${gone.join(', ')}`] : []), ...(added.length > 0 ? [`steps only in the code: ${added.join(', ')}`] : [])]
  return parts.length > 0 ? parts.join('; ') : `the same steps in another order (run: ${recorded}; code: ${registered})`
}
