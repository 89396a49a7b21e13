/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) and sums self time per function and
 * per package, so the profile can be read without DevTools.
 */
import { readFile } from 'node:fs/promises'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  readonly name: string
  readonly where: string
  readonly ms: number
  readonly percent: number
}

export interface ProfileSummary {
  readonly totalMs: number
  readonly byFunction: readonly SelfTime[]
  readonly byPackage: readonly SelfTime[]
}

export async function summarizeCpuProfile(path: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const byFunction = new Map<string, { name: string; where: string; us: number }>()
  const byPackage = new Map<string, number>()
  let totalUs = 0
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    const frame = nodes.get(id)?.callFrame
    if (!frame) return
    totalUs += us
    const where = frame.url ? `${shortPath(frame.url)}:${frame.lineNumber + 1}` : ''
    const key = `${frame.functionName}@${where}`
    const entry = byFunction.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
    const pkg = packageOf(frame)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
  })
  const toSelf = (name: string, where: string, us: number): SelfTime => ({
    name,
    where,
    ms: Math.round(us / 100) / 10,
    percent: Math.round((us / totalUs) * 1000) / 10,
  })
  return {
    totalMs: Math.round(totalUs / 1000),
    byFunction: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => toSelf(e.name, e.where, e.us)),
    byPackage: [...byPackage.entries()].sort((a, b) => b[1] - a[1]).map(([pkg, us]) => toSelf(pkg, '', us)),
  }
}

/** The package a frame belongs to: `pg`, `kysely`, `@durable/provider`, `node:internal`, `(idle)`… */
function packageOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8)'
  if (url.startsWith('node:')) return 'node: built-ins'
  const ours = /\/(packages|bench)\/([^/]+)\//.exec(url)
  if (ours) return ours[1] === 'bench' ? 'bench (harness)' : `@durable/${ours[2]}`
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  return dep ? dep[1]! : 'other'
}

function shortPath(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|packages|bench)\//, '$1/')
}
