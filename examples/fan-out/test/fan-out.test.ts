import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))

describe('npm run example:fan-out', () => {
  it('fans out in parallel, retries the busy branch, invoices in a child, and undoes an out-of-stock order', () => {
    const result = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 90_000 })
    expect(result.status, result.stderr).toBe(0)
    const out = result.stdout
    expect(out).toMatch(/order-1 +completed/)
    expect(out).toContain('order-1  sms: sent (attempt 2)')
    expect(out).toMatch(/order-1  invoice INV-1\.pdf filed \(child run \w{6}\)/)
    const results = out.match(/results: fan-out (\{.*\}), invoice (\{.*\})/)!
    expect(JSON.parse(results[1]!)).toEqual({ email: { messageId: 'mail-order-1' }, sms: { sms: 'sent' }, warehouse: { slot: 'B-12' } })
    expect(JSON.parse(results[2]!)).toEqual({ number: 'INV-1', render: { pdf: 'INV-1.pdf', total: 42 }, file: 'filed' })
    expect(out).toMatch(/fan-out took \d+ ms/)
    expect(out).toMatch(/order-2 +failed \(fan-out\.warehouse: NON_RETRYABLE warehouse: out of stock\)/)
    // The email was in flight when the warehouse failed: it finished, then was undone before the refund.
    const undo = out.indexOf('order-2  email: sends "sorry, your order was cancelled"')
    expect(undo).toBeGreaterThan(-1)
    expect(out.indexOf('order-2  refunds pay-order-2')).toBeGreaterThan(undo)
    expect(out).not.toContain('order-2  warehouse: frees the pick slot')
    expect(out).toMatch(/order-2 .*\n.*fan-out\.email:step_completed.*fan-out\.email:compensated.*charge:compensated/)
  })
})
