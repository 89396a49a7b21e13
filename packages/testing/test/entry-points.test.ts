import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'

/** The packages an entry point of the built package imports, following its own files. */
function packagesImportedBy(entry: string): Set<string> {
  const packages = new Set<string>()
  const seen = new Set<string>()
  const visit = (url: URL) => {
    if (seen.has(url.href)) return
    seen.add(url.href)
    for (const [, specifier] of readFileSync(url, 'utf8').matchAll(/(?:^|\n)(?:import|export)[^'"]*?from\s*'([^']+)'|import\('([^']+)'\)/g)) {
      if (specifier === undefined) continue
      if (specifier.startsWith('.')) visit(new URL(specifier, url))
      else packages.add(specifier)
    }
  }
  visit(new URL(`../dist/${entry}`, import.meta.url))
  return packages
}

it('imports no vitest from @durable/testing, only from @durable/testing/conformance', () => {
  expect([...packagesImportedBy('index.js')].sort(), 'what @durable/testing imports').toEqual(['@durable/core', '@durable/provider', '@durable/queue-adapter'])
  expect([...packagesImportedBy('conformance.js')], 'what @durable/testing/conformance imports').toContain('vitest')
})
