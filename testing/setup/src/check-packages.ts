/**
 * Packs the publishable packages as npm would publish them and checks each tarball with publint
 * (package.json and the files it points at) and Are the Types Wrong (types resolve under
 * `node16` and `bundler`). Both run in process on the tarball bytes: one `npm pack` for all
 * packages, no further processes, a few seconds in all.
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

/** A packed package. */
export interface PackedPackage {
  readonly name: string
  /** Path of the `.tgz`. */
  readonly tarball: string
  /** Paths inside the tarball, without the `package/` prefix. */
  readonly files: readonly string[]
}

/**
 * Resolutions that do not apply to ESM-only packages (attw's `esm-only` profile): `node10` cannot
 * read `exports`, and `require()` of ESM from CommonJS is Node's own business (Node 20.19+ does it).
 */
const IGNORED_RESOLUTIONS: readonly string[] = ['node10', 'node16-cjs']

/** Packs the workspaces in `folders` (relative to `root`) into `destination` with one `npm pack`. */
export async function packWorkspaces(root: string, folders: readonly string[], destination: string): Promise<PackedPackage[]> {
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', destination, ...folders.flatMap((folder) => ['-w', folder])]
  const { stdout } = await promisify(execFile)('npm', args, { cwd: root, maxBuffer: 64 * 1024 * 1024 })
  const packed = JSON.parse(stdout) as { name: string; filename: string; files: { path: string }[] }[]
  return packed.map((entry) => ({ name: entry.name, tarball: join(destination, entry.filename), files: entry.files.map((file) => file.path) }))
}

/** The problems publint and attw find in one tarball, one line each; empty when it is clean. */
export async function checkTarball(tarballPath: string): Promise<string[]> {
  const bytes = new Uint8Array(await readFile(tarballPath))
  const problems: string[] = []
  // strict: warnings count as errors; suggestions are reported too.
  const { messages, pkg } = await publint({ pack: { tarball: bytes.slice().buffer }, level: 'suggestion', strict: true })
  for (const message of messages) problems.push(`publint ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`)
  const analysis = await checkPackage(createPackageFromTarballData(bytes))
  if (!analysis.types) {
    problems.push('attw: the package has no types')
  } else {
    for (const problem of analysis.problems) {
      if ('resolutionKind' in problem && IGNORED_RESOLUTIONS.includes(problem.resolutionKind)) continue
      problems.push(`attw ${problem.kind}: ${JSON.stringify(problem)} (https://github.com/arethetypeswrong/arethetypeswrong.github.io/blob/main/docs/problems/${problem.kind}.md)`)
    }
  }
  return problems
}
