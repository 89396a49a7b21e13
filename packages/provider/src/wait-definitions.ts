import { timerOf, type RunRecord, type RunStore, type Workflow } from '@durable/core'
import type { WorkflowRegistry } from './workflow-registry.js'

/**
 * What tells `waitingFor` a sleep from a signal wait with a timeout (both wait on a timer):
 * the run's registered definition, or else — in a process that does not have it, like the CLI —
 * the shape its first start recorded, read once per hash (shapes never change under a hash).
 */
export class WaitDefinitions {
  readonly #registry: WorkflowRegistry
  readonly #store: RunStore
  readonly #shapes = new Map<string, Promise<string | undefined>>()

  constructor(registry: WorkflowRegistry, store: RunStore) {
    this.#registry = registry
    this.#store = store
  }

  /** The definition or shape of `run` when its wait needs one to be told; undefined otherwise. */
  async of(run: RunRecord): Promise<Workflow | string | undefined> {
    const { state } = run
    // Only a wait with a timer is ambiguous (a sleep, or a signal wait's timeout): spare the others a read.
    if (state.status !== 'waiting' || timerOf(state) === null) return undefined
    const registered = this.#registry.forRun(run)?.workflow
    if (registered !== undefined || run.shapeHash === null) return registered
    const hash = run.shapeHash
    let shape = this.#shapes.get(hash)
    if (shape === undefined) {
      shape = this.#store.loadShape(hash)
      this.#shapes.set(hash, shape)
      // A failed read is not kept: the next call tries again.
      shape.catch(() => this.#shapes.delete(hash))
    }
    return shape
  }

  /** `of` for a page of runs: each distinct shape read once. */
  all(runs: readonly RunRecord[]): Promise<Array<Workflow | string | undefined>> {
    return Promise.all(runs.map((run) => this.of(run)))
  }
}
