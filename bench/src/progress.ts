/** Progress lines go to stderr, so stdout carries only the results table. */
// Children inherit the parent's start time, so their lines share one clock.
const started = Number(process.env.BENCH_STARTED_AT ?? Date.now())

export function progress(text: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4)
  process.stderr.write(`[${seconds} s] ${text}\n`)
}
