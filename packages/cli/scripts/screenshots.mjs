// `npm run screenshots`: the README's pictures of the dashboard. Makes a demo database (embedded,
// in a temporary directory) with runs of every kind, serves it with the built `durable dashboard`,
// and photographs three pages with the Chromium the tests use, into docs/images/ at the repo's
// root. Needs `npm run build` first and /usr/bin/chromium (or CHROMIUM=/path/to/chrome).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineWorkflow, NonRetryableError } from '@durable/core'
import { embeddedDurable } from '@durable/embedded'
import { silentLogger } from '@durable/provider'
import { chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const OUT = fileURLToPath(new URL('../../../docs/images/', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/durable.js', import.meta.url))
const TOKEN = 'screenshots-token'
/** README pictures stay small: a page at 1 device pixel per CSS pixel, one viewport high. */
const MAX_BYTES = 200_000

const invoice = defineWorkflow('invoice').step('render', async (ctx) => ({ pdf: `invoice-${ctx.input.orderId}.pdf` }))
const checkout = defineWorkflow('checkout')
  .step('reserve', async (ctx) => ({ reservation: `res-${ctx.input.orderId}` }), { compensate: async () => {} })
  .step(
    'charge',
    async (ctx) => {
      if (ctx.attempt === 1) throw Object.assign(new Error('card declined, try again'), { code: 'CARD_DECLINED' })
      return { payment: `pay-${ctx.input.orderId}` }
    },
    { backoff: () => '50ms', compensate: async () => {} },
  )
  .child('invoice', invoice, (ctx) => ({ orderId: ctx.input.orderId }))
  .waitForSignal('approved', { timeout: '7d' })
  .step('ship', async (ctx) => {
    if (ctx.input.orderId.endsWith('7')) throw new NonRetryableError('the carrier refused the parcel')
    return { tracking: `trk-${ctx.input.orderId}` }
  })
const reminder = defineWorkflow('reminder')
  .step('schedule', async (ctx) => ({ to: ctx.input.email }))
  .sleep('wait', '3d')
  .step('send', async () => 'sent')

const dataDir = mkdtempSync(join(tmpdir(), 'durable-screenshots-'))
let dashboard
let browser
try {
  await makeRuns()
  dashboard = await startDashboard()
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] })
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, timezoneId: 'Europe/Paris' })
  await page.goto(dashboard.url)
  await page.locator('tr[data-run-id]').first().waitFor()
  await shoot(page, 'dashboard-runs.png')

  const failed = await page.locator('tr[data-run-id]', { hasText: 'failed' }).first().getAttribute('data-run-id')
  await page.goto(`${dashboard.url}#/runs/${failed}`)
  await page.locator('ol.timeline li[data-seq]').first().waitFor()
  await shoot(page, 'dashboard-run.png')

  await page.goto(`${dashboard.url}#/?workflow=reminder&status=waiting`)
  await page.fill('#token-input', TOKEN)
  await page.press('#token-input', 'Enter')
  await page.locator('#bulk-cancel:not([disabled])').waitFor()
  await page.click('#bulk-cancel')
  await page.locator('#bulk-confirm p').waitFor()
  await shoot(page, 'dashboard-bulk-cancel.png')
} finally {
  await browser?.close()
  await dashboard?.stop()
  rmSync(dataDir, { recursive: true, force: true })
}

/** Runs of every kind: completed, failed and compensated, waiting for a signal, asleep. */
async function makeRuns() {
  const durable = embeddedDurable({ workflows: [checkout, invoice, reminder], dataDir, logger: silentLogger })
  await durable.migrate()
  const worker = durable.worker({ concurrency: 8 })
  await worker.start()
  const orders = []
  for (const n of [1, 2, 3, 4, 5, 6, 7]) orders.push(await durable.start(checkout, { orderId: `o-10${n}` }, { idempotencyKey: `order-10${n}` }))
  await until(durable, async () => (await durable.list({ status: 'waiting' })).runs.length === orders.length)
  // Five orders approved (one of them, o-107, then fails at ship and is rolled back); two still wait.
  for (const id of [orders[0], orders[1], orders[2], orders[3], orders[6]]) await durable.signal(id, 'approved', { by: 'ada' })
  for (const id of [orders[0], orders[1], orders[2], orders[3], orders[6]]) await durable.waitFor(id, { timeout: '30s' })
  // The newest runs, at the top of the list: reminders asleep for three days.
  for (const email of ['ada@example.com', 'bo@example.com', 'cy@example.com']) await durable.start(reminder, { email })
  await until(durable, async () => (await durable.list({ workflowName: 'reminder', status: 'waiting' })).runs.length === 3)
  await worker.stop()
  await durable.close()
}

async function until(durable, check) {
  for (const deadline = Date.now() + 30_000; !(await check());) {
    if (Date.now() > deadline) throw new Error('the demo runs did not settle within 30 s')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** `durable dashboard` on the demo data directory; resolves once it listens. */
function startDashboard() {
  const child = spawn(process.execPath, [BIN, 'dashboard', '--data-dir', dataDir, '--port', '0', '--json'], {
    env: { PATH: process.env.PATH ?? '', DURABLE_DASHBOARD_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return new Promise((resolve, reject) => {
    let text = ''
    void exited.then((code) => reject(new Error(`durable dashboard exited with ${code}: run npm run build first`)))
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      text += chunk
      try {
        const { url } = JSON.parse(text)
        resolve({ url, stop: () => (child.kill('SIGTERM'), exited) })
      } catch {
        // not the whole document yet
      }
    })
  })
}

async function shoot(page, name) {
  mkdirSync(OUT, { recursive: true })
  const path = join(OUT, name)
  await page.screenshot({ path })
  const bytes = statSync(path).size
  if (bytes > MAX_BYTES) throw new Error(`${name} is ${bytes} bytes, more than ${MAX_BYTES}: keep README pictures small`)
  console.log(`wrote docs/images/${name} (${Math.round(bytes / 1024)} KB)`)
}
