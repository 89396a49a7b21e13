/**
 * `npm run profile -w @durable/bench [-- --runs=3000]`: where durable's hot path spends its time,
 * on the benchmark's own PostgreSQL.
 *
 * 1. starts a backlog of three-step runs, then drains it with a worker of concurrency 1 in a
 *    child process run with `node --cpu-prof`, counting every statement; again at concurrency 8;
 * 2. traces the statements of one run at low load, in order and timed;
 * 3. EXPLAINs (ANALYZE, BUFFERS) the hot statements as they run.
 *
 * Writes `bench/results/profile/` (summary.json, trace.txt, plans.txt; the raw .cpuprofile, not
 * committed) and prints a summary. bench/PROFILE.md reads these.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { startPostgres } from '../postgres-server.js'
import { progress } from '../progress.js'
import { runInChild } from '../run-in-child.js'
import { summarizeCpuProfile } from './cpu-profile.js'
import type { DrainFigures, TraceFigures } from './profile-tasks.js'
import { startBacklog } from './profile-tasks.js'

process.env.BENCH_STARTED_AT ??= String(Date.now())
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 3000)
const out = new URL('../../results/profile/', import.meta.url)
await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })

progress('profile: starting PostgreSQL…')
const server = await startPostgres()
try {
  const steps = runs * 3
  const round2 = (n: number) => Math.round(n * 100) / 100
  const per = (counts: Record<string, number>, divisor: number) =>
    Object.fromEntries(
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, n]) => [kind, round2(n / divisor)]),
    )
  let startCounts: Record<string, number> = {}
  const drains: Record<string, unknown> = {}
  for (const concurrency of [1, 8]) {
    progress(`profile: starting a backlog of ${runs} runs…`)
    startCounts = await startBacklog(server.url, runs)
    progress(`profile: draining it with a worker of concurrency ${concurrency}, under node --cpu-prof…`)
    const name = `durable-c${concurrency}.cpuprofile`
    const drain = await runInChild<DrainFigures>(
      { task: { kind: 'profile-drain', runs, concurrency }, adminUrl: server.url, quick: false },
      { timeoutMs: 900_000, execArgv: ['--cpu-prof', `--cpu-prof-dir=${fileURLToPath(out)}`, `--cpu-prof-name=${name}`] },
    )
    if (!drain.result) throw new Error(`drain failed: ${drain.error}`)
    const cpu = await summarizeCpuProfile(fileURLToPath(new URL(name, out)))
    drains[`c${concurrency}`] = { seconds: round2(drain.result.seconds), stepsPerSecond: drain.result.stepsPerSecond, statementsPerStep: per(drain.result.counts, steps), cpu }
    console.log(`\ndrain at concurrency ${concurrency}: ${drain.result.stepsPerSecond} steps/s while profiled; statements per step:`)
    for (const [kind, n] of Object.entries(per(drain.result.counts, steps))) console.log(`  ${String(n).padStart(5)}  ${kind}`)
    console.log(`CPU of the worker process, self time by package (${cpu.totalMs} ms sampled):`)
    for (const p of cpu.byPackage.slice(0, 10)) console.log(`  ${String(p.percent).padStart(5)} %  ${p.name}`)
    console.log('top functions by self time:')
    for (const f of cpu.byFunction.slice(0, 15)) console.log(`  ${String(f.percent).padStart(5)} %  ${f.name}  ${f.where}`)
  }
  progress('profile: tracing one run at low load…')
  const trace = await runInChild<TraceFigures>({ task: { kind: 'profile-trace' }, adminUrl: server.url, quick: false }, { timeoutMs: 300_000 })
  if (!trace.result) throw new Error(`trace failed: ${trace.error}`)
  const summary = {
    at: new Date().toISOString(),
    runs,
    server: server.settings,
    drains,
    start: { statementsPerRun: per(startCounts, runs) },
    oneRun: { totalMs: round2(trace.result.totalMs), statements: trace.result.entries.length },
  }
  await writeFile(new URL('summary.json', out), `${JSON.stringify(summary, null, 2)}\n`)
  const traceText = trace.result.entries
    .map((e) => `${e.startMs.toFixed(2).padStart(8)} ms  +${e.durationMs.toFixed(2).padStart(6)} ms  ${e.inTransaction ? '  (in tx) ' : ''}${e.kind}`)
    .join('\n')
  await writeFile(
    new URL('trace.txt', out),
    `one three-step run, start() → waitFor(): ${summary.oneRun.totalMs} ms (median of 21), ${summary.oneRun.statements} statements\n\n${traceText}\n`,
  )
  const plans = Object.entries(trace.result.plans)
    .map(([kind, { sql, plan }]) => `## ${kind}\n\n${sql}\n\n${plan}\n`)
    .join('\n')
  await writeFile(new URL('plans.txt', out), plans)
  console.log('\nstart(): statements per run:')
  for (const [kind, n] of Object.entries(summary.start.statementsPerRun)) console.log(`  ${String(n).padStart(5)}  ${kind}`)
  console.log(`\none run at low load (${summary.oneRun.totalMs} ms):\n${traceText}`)
  progress('written: bench/results/profile/ (summary.json, trace.txt, plans.txt)')
} finally {
  await server.stop()
}
