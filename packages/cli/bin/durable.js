#!/usr/bin/env node
// The `durable` command. This file is committed, not built, so that npm links it at install time,
// before dist/ exists (npm links a bin only if its file is there); the command lives in dist/.
import { existsSync } from 'node:fs'

const entry = new URL('../dist/bin.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('durable: @durable/cli is not built (no dist/bin.js): run npm run build\n')
  process.exit(1)
}
await import(entry.href)
