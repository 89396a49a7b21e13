import { isDurableError, type RunStore, type RunUpdate } from '@durable/core'

interface Pending {
  readonly update: RunUpdate
  readonly resolve: (held: boolean) => void
  readonly reject: (error: unknown) => void
}

/** The most updates one statement carries; more wait for the next one. */
const MAX_BATCH = 256

/**
 * The worker's group commit: the fenced step commits of all the runs it drives go to the
 * database together, one statement for many runs (`RunStore.updateRuns`), each fenced on its own
 * row — a run whose lease was lost is refused alone, the others commit.
 *
 * No timer: when no statement is in flight, a commit goes at once (nothing waits at low load);
 * while one is in flight, the commits that come meanwhile gather and go together when it
 * returns — Postgres's own group commit, one level up. A caller's promise settles only once its
 * statement did: a result is handed on only when it is durable.
 */
export class CommitPipeline {
  readonly #store: RunStore
  #gathering: Pending[] = []
  #inFlight = false

  constructor(store: RunStore) {
    this.#store = store
  }

  /** Commits `update` with the next statement; resolves to whether it held the run's lease. */
  commit(update: RunUpdate): Promise<boolean> {
    const committed = new Promise<boolean>((resolve, reject) => this.#gathering.push({ update, resolve, reject }))
    if (!this.#inFlight) void this.#drain()
    return committed
  }

  async #drain(): Promise<void> {
    this.#inFlight = true
    try {
      while (this.#gathering.length > 0) await this.#send(this.#nextBatch())
    } finally {
      this.#inFlight = false
    }
  }

  /**
   * The gathered commits that can share a statement: one per run, and never a run together with
   * the parent its end wakes (one statement would update that row twice). The rest wait.
   */
  #nextBatch(): Pending[] {
    const batch: Pending[] = []
    const rest: Pending[] = []
    const runs = new Set<string>()
    const woken = new Set<string>()
    for (const pending of this.#gathering) {
      const { runId, wake } = pending.update
      const clash = runs.has(runId) || woken.has(runId) || (wake !== undefined && runs.has(wake))
      if (clash || batch.length >= MAX_BATCH) {
        rest.push(pending)
        continue
      }
      batch.push(pending)
      runs.add(runId)
      if (wake !== undefined) woken.add(wake)
    }
    this.#gathering = rest
    return batch
  }

  async #send(batch: readonly Pending[]): Promise<void> {
    try {
      const held = await this.#store.updateRuns(batch.map((pending) => pending.update))
      batch.forEach((pending, i) => pending.resolve(held[i]!))
    } catch (error) {
      // One update broke the statement (say, a journal entry that exists already): nothing of
      // the batch was applied. Each goes again on its own, so only the one at fault fails.
      if (batch.length > 1 && !isDurableError(error, 'STORE_UNAVAILABLE')) {
        for (const pending of batch) await this.#send([pending])
        return
      }
      for (const pending of batch) pending.reject(error)
    }
  }
}
