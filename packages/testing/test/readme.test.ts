import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'

it('shows, in the README, the example test exactly as test/readme-example.test.ts runs it', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## A workflow test'))
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  const test = readFileSync(new URL('./readme-example.test.ts', import.meta.url), 'utf8')
  expect(shown, 'the README example').toBe(test.slice(test.indexOf('\n') + 1))
})
