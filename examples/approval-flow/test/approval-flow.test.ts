import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))

describe('npm run example:approval', () => {
  it('pays the approved claim, refuses the rejected one and times out the forgotten one', () => {
    const result = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 90_000 })
    expect(result.status, result.stderr).toBe(0)
    const out = result.stdout
    expect(out).toContain('claim-1  paid 120 €, approved by ada')
    expect(out).toMatch(/claim-1 +completed/)
    expect(out).toMatch(/claim-2 +failed \(pay: NON_RETRYABLE rejected by grace\)/)
    expect(out).toMatch(/claim-3 +failed \(decision: SIGNAL_TIMEOUT/)
    expect(out).toContain('claim-3  releases hold-claim-3')
    expect(out).toContain('claim-3  no answer yet: sends a reminder')
  })
})
