import type { RunStore, RunUpdate } from '@durable/core'
import { Batcher } from './batcher.js'

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
  readonly #batcher: Batcher<RunUpdate, boolean>

  constructor(store: RunStore) {
    this.#batcher = new Batcher((updates) => store.updateRuns(updates), shareable)
  }

  /** Commits `update` with the next statement; resolves to whether it held the run's lease. */
  commit(update: RunUpdate): Promise<boolean> {
    return this.#batcher.add(update)
  }
}

/**
 * The gathered commits that can share a statement: one per run, and never a run together with
 * the parent its end wakes (one statement would update that row twice). The rest wait.
 */
function shareable(gathered: readonly RunUpdate[]): number[] {
  const taken: number[] = []
  const runs = new Set<string>()
  const woken = new Set<string>()
  gathered.forEach(({ runId, wake }, i) => {
    const clash = runs.has(runId) || woken.has(runId) || (wake !== undefined && runs.has(wake))
    if (clash || taken.length >= MAX_BATCH) return
    taken.push(i)
    runs.add(runId)
    if (wake !== undefined) woken.add(wake)
  })
  return taken
}
