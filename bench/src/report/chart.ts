/**
 * `bench/results/chart.svg`, written by hand (no dependency): two horizontal bar panels, steps/s
 * at each concurrency (the floor's tx/s first) and start→completed p50 latency, per system.
 */
import { floorFor, type BenchResults } from './results.js'

const WIDTH = 860
const LABEL = 280
const BAR = 14
const GAP = 10
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756']

interface Bar {
  readonly value: number
  readonly text: string
  readonly color: string
}
interface Row {
  readonly label: string
  readonly bars: readonly Bar[]
  readonly highlight: boolean
}

export function resultsChart(results: BenchResults): string {
  const cs = results.settings.concurrencies
  const measured = results.systems.filter((s) => s.throughput && s.latency)
  const throughputRows: Row[] = [
    {
      label: `floor (${results.floor[0]?.tool ?? '?'}, tx/s)`,
      highlight: false,
      bars: cs.map((c, i) => {
        const f = floorFor(results.floor, c)
        const tx = f?.txPerSecond ?? 0
        return { value: tx, text: `${Math.round(tx)} (${f?.clients ?? c} client${f?.clients === 1 ? '' : 's'})`, color: COLORS[i % COLORS.length]! }
      }),
    },
    ...measured.map((s) => ({
      label: short(s.name!),
      highlight: !s.peer,
      bars: cs.map((c, i) => {
        const v = s.throughput!.find((t) => t.concurrency === c)?.stepsPerSecond ?? 0
        return { value: v, text: `${Math.round(v)} (c=${c})`, color: COLORS[i % COLORS.length]! }
      }),
    })),
  ]
  const latencyRows: Row[] = measured.map((s) => ({
    label: short(s.name!),
    highlight: !s.peer,
    bars: [{ value: s.latency!.p50Ms, text: `${s.latency!.p50Ms} ms (p99 ${s.latency!.p99Ms})`, color: COLORS[2]! }],
  }))
  const parts: string[] = []
  let y = 40
  parts.push(
    text(
      16,
      24,
      `durable benchmark — ${results.quick ? 'quick run' : 'full run'}, ${results.at.slice(0, 10)}, ${results.machine.cpus} cores, PostgreSQL ${results.server.settings.server_version ?? '?'}`,
      15,
      'bold',
    ),
  )
  y = panel(
    parts,
    y,
    'Throughput: steps/s of a 3-step no-op workflow (floor: durable checkpoints/s)',
    throughputRows,
    cs.map((c, i) => [`c=${c}`, COLORS[i % COLORS.length]!]),
  )
  y = panel(parts, y + 10, 'Latency at low load: start → completed, p50 (ms; lower is better)', latencyRows, [])
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
${parts.join('\n')}
</svg>
`
}

function panel(parts: string[], top: number, title: string, rows: readonly Row[], legend: ReadonlyArray<[string, string]>): number {
  let y = top + 20
  parts.push(text(16, y, title, 13, 'bold'))
  legend.forEach(([name, color], i) => {
    const x = WIDTH - 20 - (legend.length - i) * 60
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${color}"/>`, text(x + 16, y, name, 12))
  })
  y += 12
  const max = Math.max(1, ...rows.flatMap((r) => r.bars.map((b) => b.value)))
  const scale = (WIDTH - LABEL - 150) / max
  for (const row of rows) {
    const height = row.bars.length * (BAR + 2)
    parts.push(text(LABEL - 8, y + height / 2 + 4, row.label, 12, row.highlight ? 'bold' : 'normal', 'end'))
    row.bars.forEach((bar, i) => {
      const by = y + i * (BAR + 2)
      const w = Math.max(1, bar.value * scale)
      parts.push(`<rect x="${LABEL}" y="${by}" width="${w.toFixed(1)}" height="${BAR}" fill="${bar.color}"/>`, text(LABEL + w + 6, by + BAR - 3, bar.text, 11))
    })
    y += height + GAP
  }
  return y
}

/** Names without what every peer shares, to fit the label column. */
const short = (name: string): string => name.replace(' (3-job chain)', '').replace('(3-job chain, ', '(')

function text(x: number, y: number, content: string, size: number, weight = 'normal', anchor = 'start'): string {
  return `<text x="${x}" y="${y}" font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" fill="#222">${escape(content)}</text>`
}

const escape = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
