import { createHash } from 'node:crypto'
import { DurableError, WorkflowNotRegisteredError, workflowShape, type DefinitionKey, type NewRun, type RunRecord, type Workflow } from '@durable/core'

/** A registered definition with the key runs record: name, version and shape. */
export interface Definition {
  readonly workflow: Workflow
  readonly key: DefinitionKey
  /** The shape's text (`workflowShape`), kept beside its hash in the store. */
  readonly shape: string
}

/**
 * The workflow definitions a runtime knows. Several versions of one name live side by side;
 * the one listed last is the name's current version, which `start(name)` uses. A run is driven
 * only by the definition it started with: same name, version and shape.
 */
export class WorkflowRegistry {
  /** By name, in the order listed: the last is current. */
  readonly #byName = new Map<string, Definition[]>()
  /** Every definition's key, for claims: a worker claims only runs of these. */
  readonly definitions: readonly DefinitionKey[]
  /** Hashes of the shapes this process has seen stored: later starts need not send them. */
  readonly #stored = new Set<string>()

  constructor(workflows: readonly Workflow[]) {
    if (!Array.isArray(workflows)) throw new DurableError('INVALID_DEFINITION', 'createDurable({ workflows }) must be an array of workflows')
    for (const workflow of workflows) {
      if (typeof workflow !== 'object' || workflow === null || typeof workflow.name !== 'string' || !Array.isArray(workflow.steps)) {
        throw new DurableError('INVALID_DEFINITION', 'createDurable({ workflows }) takes workflows made with defineWorkflow(...)')
      }
      const versions = this.#byName.get(workflow.name) ?? []
      const version = workflow.version ?? null
      if (versions.some((d) => d.key.version === version)) {
        throw new DurableError(
          'INVALID_DEFINITION',
          `two workflows are named "${workflow.name}"${version === null ? ' without a version' : ` with version "${version}"`}: give each definition of one name its own version, defineWorkflow(name, { version })`,
        )
      }
      const shape = workflowShape(workflow)
      versions.push({ workflow, shape, key: { name: workflow.name, version, shapeHash: shapeHash(shape) } })
      this.#byName.set(workflow.name, versions)
    }
    this.definitions = [...this.#byName.values()].flat().map((d) => d.key)
  }

  /** Registered workflow names. */
  get names(): string[] {
    return [...this.#byName.keys()]
  }

  /**
   * The definition to start: for a name, its current version; for a definition object, that
   * very version. Throws `WORKFLOW_NOT_REGISTERED` when this runtime does not know it.
   */
  resolve(workflowOrName: Workflow | string): Definition {
    const name = typeof workflowOrName === 'string' ? workflowOrName : workflowOrName?.name
    const versions = typeof name === 'string' ? this.#byName.get(name) : undefined
    if (versions === undefined) throw new WorkflowNotRegisteredError(String(name), this.names)
    if (typeof workflowOrName === 'string') return versions.at(-1)!
    const found = versions.find((d) => d.workflow === workflowOrName) ?? versions.find((d) => d.key.version === (workflowOrName.version ?? null))
    if (found === undefined) {
      throw new DurableError(
        'WORKFLOW_NOT_REGISTERED',
        `version "${workflowOrName.version ?? '(none)'}" of workflow "${name}" is not registered (registered: ${versions.map((d) => describeVersion(d.key.version)).join(', ')}): pass it in createDurable({ workflows: [...] })`,
      )
    }
    return found
  }

  /** A registered version of `name`; undefined when there is none. */
  version(name: string, version: string | null): Definition | undefined {
    return this.#byName.get(name)?.find((d) => d.key.version === version)
  }

  /** The definition that drives `run`: its name, version and shape; undefined when not registered. */
  forRun(run: Pick<RunRecord, 'workflowName' | 'workflowVersion' | 'shapeHash'>): Definition | undefined {
    const found = this.version(run.workflowName, run.workflowVersion)
    // A run from before shapes were recorded is driven by its name and version alone.
    return found !== undefined && (run.shapeHash === null || found.key.shapeHash === run.shapeHash) ? found : undefined
  }

  /**
   * What a new run of `definition` records: name, version and shape hash — and the shape's text
   * until a start of this process has stored it.
   */
  runFields(definition: Definition): Pick<NewRun, 'workflowName' | 'workflowVersion' | 'shapeHash' | 'shape'> {
    const { name, version, shapeHash } = definition.key
    return { workflowName: name, workflowVersion: version, shapeHash, ...(this.#stored.has(shapeHash) ? {} : { shape: definition.shape }) }
  }

  /** A run with this shape was written: its text is in the store. */
  shapeStored(shapeHash: string): void {
    this.#stored.add(shapeHash)
  }

  /** Every registered version of `name`, oldest listed first. */
  versionsOf(name: string): readonly Definition[] {
    return this.#byName.get(name) ?? []
  }
}

/** How a version reads in messages. */
export function describeVersion(version: string | null): string {
  return version === null ? '(no version)' : `"${version}"`
}

/** A short, stable hash of a shape's text: what runs record and claims compare. */
function shapeHash(shape: string): string {
  return createHash('sha256').update(shape).digest('hex').slice(0, 16)
}
