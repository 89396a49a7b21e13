/** Small statistics helpers: every figure in the results goes through these. */

/** The q-quantile (0..1) of `values` by the nearest-rank method; 0 for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]!
}

export const median = (values: readonly number[]): number => quantile(values, 0.5)

/** Megabytes with one decimal. */
export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10

/** Rounds to `digits` significant decimals for the JSON (figures are noisy past that). */
export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits

/** Runs `fn` with `callers` concurrent loops until `total` calls were made; returns seconds taken. */
export async function withCallers(total: number, callers: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) await fn(next++)
    }),
  )
  return (performance.now() - started) / 1000
}

/** Resolves once `done()` is true, checking every `everyMs`; throws after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 600_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
