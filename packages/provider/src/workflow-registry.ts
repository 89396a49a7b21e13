import { DurableError, WorkflowNotRegisteredError, type Workflow } from '@durable/core'

/** The workflows a runtime knows, by name. */
export class WorkflowRegistry {
  readonly #byName = new Map<string, Workflow>()
  readonly names: readonly string[]

  constructor(workflows: readonly Workflow[]) {
    if (!Array.isArray(workflows)) throw new DurableError('INVALID_DEFINITION', 'createDurable({ workflows }) must be an array of workflows')
    for (const workflow of workflows) {
      if (typeof workflow !== 'object' || workflow === null || typeof workflow.name !== 'string' || !Array.isArray(workflow.steps)) {
        throw new DurableError('INVALID_DEFINITION', 'createDurable({ workflows }) takes workflows made with defineWorkflow(...)')
      }
      if (this.#byName.has(workflow.name)) {
        throw new DurableError('INVALID_DEFINITION', `two workflows are named "${workflow.name}": workflow names must be unique`)
      }
      this.#byName.set(workflow.name, workflow)
    }
    this.names = [...this.#byName.keys()]
  }

  /** The registered workflow for a workflow object or name; throws `WORKFLOW_NOT_REGISTERED`. */
  resolve(workflowOrName: Workflow | string): Workflow {
    const name = typeof workflowOrName === 'string' ? workflowOrName : workflowOrName?.name
    const found = typeof name === 'string' ? this.#byName.get(name) : undefined
    if (found === undefined) throw new WorkflowNotRegisteredError(String(name), this.names)
    return found
  }

  get(name: string): Workflow | undefined {
    return this.#byName.get(name)
  }
}
