/**
 * The installed version of a package, read from its package.json in the node_modules above this
 * file (a package's `exports` may not expose `./package.json`, so no `require` of it).
 */
import { readFileSync } from 'node:fs'

export function packageVersion(name: string): string {
  for (let up = 1; up <= 4; up++) {
    try {
      const url = new URL(`${'../'.repeat(up)}node_modules/${name}/package.json`, import.meta.url)
      return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
    } catch {
      // not at this level: look one up
    }
  }
  return '?'
}
