/** The results as Markdown tables: what `npm run bench` prints on stdout and the README shows. */
import { floorFor, peerLabel, toFloor, type BenchResults, type SystemResult } from './results.js'

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined ? '—' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const times = (ratio: number | undefined): string => (ratio === undefined ? '—' : `${fmt(ratio, 2)}×`)

export function resultsTable(results: BenchResults): string {
  const lines: string[] = []
  const cs = results.settings.concurrencies
  const floor = (c: number) => results.floor.find((f) => f.clients === c)
  // A concurrency without a floor of its own is compared with the floor at 8 clients.
  const against = (c: number) => {
    const clients = floorFor(results.floor, c)?.clients
    return clients === undefined || clients === c ? '' : ` vs ${clients} clients`
  }
  const floorTool = results.floor[0]?.tool === 'pgbench' ? 'pgbench' : 'Node'
  lines.push(
    `| system | ${cs.map((c) => `steps/s c=${c} (× floor${against(c)})`).join(' | ')} | run p50 / p99 (ms) | starts/s, ${results.settings.startCallers} callers (× floor) |`,
    `| --- | ${cs.map(() => '---:').join(' | ')} | ---: | ---: |`,
  )
  const f8 = floor(8)
  lines.push(
    `| floor: 1 insert + 1 update tx (${floorTool}) | ${cs.map((c) => (against(c) === '' ? `${fmt(floor(c)?.txPerSecond)} tx/s` : 'as c=8')).join(' | ')} | ${fmt(floor(1)?.meanMs, 2)} mean (1 tx) | ${fmt(f8?.txPerSecond)} tx/s |`,
  )
  for (const system of results.systems) lines.push(systemRow(system, results))

  const durables = results.systems.filter((s) => !s.peer && s.throughput)
  const peers = results.systems.filter((s) => s.peer && s.throughput)
  if (durables.length > 0 && peers.length > 0) {
    lines.push('', `| durable ÷ peer | ${cs.map((c) => `steps/s c=${c}`).join(' | ')} | p50 latency | starts/s |`, `| --- | ${cs.map(() => '---:').join(' | ')} | ---: | ---: |`)
    for (const d of durables) {
      const ratios = results.ratios[d.id]
      const best = ratios?.throughputToBestPeer ?? {}
      lines.push(
        `| **${d.name} ÷ the best peer** | ${cs.map((c) => (best[`c${c}`] ? `**${times(best[`c${c}`]!.ratio)}** ${peerLabel(best[`c${c}`]!.peer)}` : '—')).join(' | ')} | — | — |`,
      )
      for (const p of peers) {
        const t = ratios?.throughputToPeers[p.id] ?? {}
        lines.push(`| ${d.name} ÷ ${p.name} | ${cs.map((c) => times(t[`c${c}`])).join(' | ')} | ${times(ratios?.p50ToPeers[p.id])} | ${times(ratios?.startRateToPeers[p.id])} |`)
      }
    }
  }

  lines.push('', '| durable scenario | queue-postgres (server) | embedded PGlite |', '| --- | --- | --- |')
  const both = (f: (backend: 'server' | 'embedded') => string) => `${f('server')} | ${f('embedded')}`
  const cell = <T>(value: T | { error: string } | undefined, show: (v: T) => string) =>
    value === undefined ? 'not run' : 'error' in (value as object) ? `error: ${(value as { error: string }).error.split('\n')[0]}` : show(value as T)
  lines.push(
    `| flat per-step cost: step-to-step, ${results.settings.flatShortSteps} vs ${results.settings.flatLongSteps} steps | ${both((b) =>
      cell(
        results.flatCost[b],
        (f) =>
          `${f.shortStepToStepMs} → ${f.longStepToStepMs} ms (${f.stepToStepRatio}×); long run's first → last tenth ${f.longFirstTenthMs} → ${f.longLastTenthMs} ms; wall ${f.shortWallPerStepMs} → ${f.longWallPerStepMs} ms (${f.wallRatio}×)`,
      ),
    )} |`,
    `| parked runs: worker RSS, ${results.settings.parkedRuns} sleeping runs | ${both((b) =>
      cell(
        results.parked[b],
        (p) => `${p.rssBeforeMb} → ${p.rssParkedMb} MB (${p.rssDeltaMb >= 0 ? '+' : ''}${p.rssDeltaMb} MB RSS, heap ${p.heapBeforeMb} → ${p.heapParkedMb} MB)`,
      ),
    )} |`,
    `| parked runs: wake lateness p50 / p99 / max | ${both((b) =>
      cell(results.parked[b], (p) => `${p.lateP50Ms} / ${p.lateP99Ms} / ${p.lateMaxMs} ms (poll ${p.pollIntervalMs} ms)${p.allCompleted ? '' : ', NOT all completed'}`),
    )} |`,
    `| worker RSS with ${results.settings.activeRuns} active runs: baseline → started → peak | ${both((b) =>
      cell(results.active[b], (a) => `${a.rssBaselineMb} → ${a.rssStartedMb} → ${a.rssPeakMb} MB (drained in ${a.drainSeconds} s)`),
    )} |`,
    `| startMany() of ${results.settings.startManyRuns} runs in one call: runs/s (× floor, 8 clients) | ${both((b) =>
      cell(results.startMany[b], (m) => `${fmt(m.runsPerSecond)} runs/s (${fmt(toFloor(m.runsPerSecond, results.floor), 2)}×), ${m.seconds} s a call`),
    )} |`,
    `| flow control's claim: ${results.settings.flowRuns} runs drained at c=8, runs/s (steps/s) without → with a concurrency key (8 keys, limit 8: never binds) (keyed ÷ unkeyed) | ${both(
      (b) =>
        cell(
          results.flowClaim[b],
          (f) =>
            `${fmt(f.unkeyed.runsPerSecond)} (${fmt(f.unkeyed.stepsPerSecond)}) → ${fmt(f.keyed.runsPerSecond)} (${fmt(f.keyed.stepsPerSecond)}) runs/s (**${times(f.keyedToUnkeyed)}**, the median of ${f.keyedToUnkeyedByRepetition.map(times).join(', ')})`,
        ),
    )} |`,
    `| flow control's limit: the same drain with one limit of 4 for the workflow (binds: half the slots), runs/s (steps/s) (limited ÷ unkeyed) | ${both((b) =>
      cell(results.flowClaim[b], (f) => `${fmt(f.limited.runsPerSecond)} (${fmt(f.limited.stepsPerSecond)}) runs/s (${times(f.limitedToUnkeyed)})`),
    )} |`,
  )

  lines.push('', '| target | backend | measured | met |', '| --- | --- | --- | --- |')
  for (const t of results.targets) lines.push(`| ${t.target} | ${t.backend} | ${t.measured} | ${t.met === null ? 'reported' : t.met ? 'yes' : '**no**'} |`)
  return lines.join('\n')
}

function systemRow(system: SystemResult, results: BenchResults): string {
  const cs = results.settings.concurrencies
  if (!system.throughput || !system.latency) return `| ${system.name ?? system.id} | not measured: ${(system.error ?? '?').split('\n')[0]} |`
  const ratios = results.ratios[system.id]
  const floor8 = results.floor.find((f) => f.clients === 8)
  const throughput = cs.map((c) => {
    const t = system.throughput!.find((x) => x.concurrency === c)
    const f = floorFor(results.floor, c)
    return t && f ? `${fmt(t.stepsPerSecond)} (${fmt(ratios?.throughputToFloor[`c${c}`] ?? t.stepsPerSecond / f.txPerSecond, 2)}×)` : '—'
  })
  const start = system.startRate && floor8 ? `${fmt(system.startRate.runsPerSecond)} (${fmt(system.startRate.runsPerSecond / floor8.txPerSecond, 2)}×)` : '—'
  const stuck = system.exitedByItself ? '' : ' ⚠ process did not exit by itself'
  return `| ${system.name}${stuck} | ${throughput.join(' | ')} | ${fmt(system.latency.p50Ms, 1)} / ${fmt(system.latency.p99Ms, 1)} | ${start} |`
}
