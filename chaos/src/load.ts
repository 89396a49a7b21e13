/**
 * Starts the soak's runs at an even pace through the public API. A start that meets a database
 * outage must fail with `STORE_UNAVAILABLE`; it is retried with the same idempotency key, so a
 * start whose commit went through before the connection broke does not start a second run.
 */
import { inspect } from 'node:util'
import { isDurableError } from '@durable/core'
import type { Durable } from '@durable/provider'
import { CHAOS_WORKFLOW, isDoomed } from './chaos-workflow.js'

export interface LoadResult {
  /** Id of run i, for every start that succeeded. */
  readonly runIds: string[]
  /** Starts refused with STORE_UNAVAILABLE and tried again. */
  readonly retries: number
  /** The messages (with causes) of those refusals, to check for leaked secrets. */
  readonly refusals: string[]
  /** Starts that failed otherwise, or gave up: each one a broken promise. */
  readonly failures: string[]
}

const GIVE_UP_MS = 60_000

/** Starts runs 0…runs-1, run i at `i * loadMs / runs` from now; resolves when all started. */
export async function startRuns(durable: Durable, runs: number, loadMs: number): Promise<LoadResult> {
  const result = { runIds: [] as string[], retries: 0, refusals: [] as string[], failures: [] as string[] }
  const began = Date.now()
  const starts: Array<Promise<void>> = []
  for (let i = 0; i < runs; i++) {
    await sleep(began + (i * loadMs) / runs - Date.now())
    starts.push(
      startOne(durable, i, result).then((id) => {
        if (id !== undefined) result.runIds[i] = id
      }),
    )
  }
  await Promise.all(starts)
  return result
}

async function startOne(durable: Durable, i: number, result: { retries: number; refusals: string[]; failures: string[] }): Promise<string | undefined> {
  const deadline = Date.now() + GIVE_UP_MS
  for (let pause = 100; ; pause = Math.min(pause * 2, 1000)) {
    try {
      return await durable.start(CHAOS_WORKFLOW, { i, doomed: isDoomed(i) }, { idempotencyKey: `chaos-${i}` })
    } catch (error) {
      if (!isDurableError(error, 'STORE_UNAVAILABLE')) {
        result.failures.push(`start of run ${i} threw ${isDurableError(error) ? error.code : 'a non-DurableError'}: ${inspect(error, { depth: 3 })}`)
        return undefined
      }
      result.retries++
      if (result.refusals.length < 50) result.refusals.push(inspect(error, { depth: 5 }))
      if (Date.now() > deadline) {
        result.failures.push(`start of run ${i} kept failing with STORE_UNAVAILABLE for ${GIVE_UP_MS} ms`)
        return undefined
      }
      await sleep(pause)
    }
  }
}

/** Resolves after `ms` (at once when `ms` ≤ 0). */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve()
}
