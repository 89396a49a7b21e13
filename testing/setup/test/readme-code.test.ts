/**
 * Every ```ts block of README.md and packages/*\/README.md compiles: each block is a module of its
 * own, type-checked strict under `nodenext` against the built packages (their `dist/` types, as a
 * user gets them). The user's own functions that examples call are declared in
 * `readme-prelude.d.ts`. A block that cannot stand alone is marked ```ts no-check — keep them rare.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const READMES = ['README.md', ...readdirSync(join(ROOT, 'packages')).map((name) => `packages/${name}/README.md`)]

interface Block {
  readonly readme: string
  /** Line of the block's first code line in the README, 1-based. */
  readonly line: number
  readonly code: string
  readonly checked: boolean
}

/** The ```ts blocks of a markdown text. */
function tsBlocks(readme: string, markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```ts(?:\s+(.*))?$/.exec(lines[i]!)
    if (open === null) continue
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'))
    if (end === -1) throw new Error(`${readme}:${i + 1}: a \`\`\`ts block is not closed`)
    blocks.push({ readme, line: i + 2, code: lines.slice(i + 1, end).join('\n'), checked: open[1]?.trim() !== 'no-check' })
    i = end
  }
  return blocks
}

const blocks = READMES.flatMap((readme) => tsBlocks(readme, readFileSync(join(ROOT, readme), 'utf8')))
let folder: string
let diagnostics: string[]

beforeAll(async () => {
  // Inside the workspace, so `@durable/*` resolve to the built packages in node_modules.
  folder = await mkdtemp(join(ROOT, 'testing/setup/.readme-code-'))
  const files: string[] = []
  const where = new Map<string, Block>()
  for (const [index, block] of blocks.entries()) {
    if (!block.checked) continue
    const file = join(folder, `block-${index}.ts`)
    // `export {}` makes every block a module: its names are its own, and top-level await works.
    await writeFile(file, `${block.code}\nexport {}\n`)
    files.push(file)
    where.set(file, block)
  }
  await copyFile(fileURLToPath(new URL('readme-prelude.d.ts', import.meta.url)), join(folder, 'prelude.d.ts'))
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  }
  const program = ts.createProgram([join(folder, 'prelude.d.ts'), ...files], options)
  diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (diagnostic.file === undefined || diagnostic.start === undefined) return message
    const block = where.get(diagnostic.file.fileName)
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    return block === undefined ? `${relative(ROOT, diagnostic.file.fileName)}:${line + 1}: ${message}` : `${block.readme}:${block.line + line}: ${message}`
  })
}, 120_000)

afterAll(async () => rm(folder, { recursive: true, force: true }))

describe('README code', () => {
  it('has ts blocks to check, and few marked no-check', () => {
    expect(blocks.filter((block) => block.checked).length).toBeGreaterThan(15)
    expect(blocks.filter((block) => !block.checked).map((block) => `${block.readme}:${block.line}`)).toEqual([])
  })

  it('compiles every ts block, strict, against the built packages', () => {
    expect(diagnostics).toEqual([])
  })

  it('finds each ts block with the README line it starts on, and its no-check mark', () => {
    const [block] = tsBlocks('X.md', '# x\n\n```ts\nconst n: number = "one"\n```\n')
    expect(block).toEqual({ readme: 'X.md', line: 4, code: 'const n: number = "one"', checked: true })
    expect(tsBlocks('X.md', '```ts no-check\n.step(\n```\n')).toEqual([{ readme: 'X.md', line: 2, code: '.step(', checked: false }])
  })
})
