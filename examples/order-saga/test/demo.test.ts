import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const demo = fileURLToPath(new URL('../dist/demo.js', import.meta.url))

describe('npm run demo', () => {
  it('kills a worker mid-step, resumes every run from the journal, and compensates the failed order', () => {
    const result = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 90_000 })
    expect(result.status, result.stderr).toBe(0)
    const out = result.stdout
    expect(out).toContain('kill -9 worker 1')
    expect(out).toContain('worker 2 opens the same database')
    expect(out).toMatch(/order-3 +completed +reserve✓ charge✓ ship✗ ship✓#2/)
    expect(out).toMatch(/order-2 +completed +reserve✓ charge✗ charge✗#2 charge✓#3 ship✓/)
    expect(out).toMatch(/order-5 +failed +reserve✓ charge✓ ship✗ charge↩ reserve↩/)
    // The steps finished before the kill ran once; the interrupted one ran twice.
    expect(out).toMatch(/order-3 +reserve×1 +charge×1 +ship×2/)
    expect(out).toMatch(/order-1 +reserve×1 +charge×1 +ship×1/)
  }, 120_000)
})
