import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Durable } from '@durable/provider'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../../../testing/database.ts'
import { startDashboardProcess, type DashboardProcess } from './dashboard-process.ts'
import { doorman, guestbook, invoice, napper, order, XSS_IMAGE, XSS_NOTE } from './dashboard-workflows.ts'
import { checkout, finishRuns, runtimeOn, waitForStatus } from './helpers.ts'

const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const TOKEN = 'browser-test-token-7d31e0'
/** The browser's time zone: the page shows local time, here UTC+05:30 all year (no summer time). */
const TIME_ZONE = 'Asia/Kolkata'
/** An instant as the page shows it in TIME_ZONE: "2026-01-08 17:30:00". */
const local = (at: Date): string => new Date(at.getTime() + 330 * 60_000).toISOString().slice(0, 19).replace('T', ' ')
/** Written on every run (gitignored). The README's pictures come from `npm run screenshots`. */
const ARTIFACT = fileURLToPath(new URL('../test-artifacts/dashboard.png', import.meta.url))

let database: TestDatabase
let runtime: Durable
let dashboard: DashboardProcess
let userDataDir: string
let browser: BrowserContext
let page: Page
let orderId: string
let guestbookId: string
// What the page must never do: open a dialog (alert), throw, or break its security policy.
const dialogs: string[] = []
const pageErrors: string[] = []
const policyViolations: string[] = []

beforeAll(async () => {
  // A missing browser fails the tests: skipping would hide that the page was never tried.
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: the dashboard's browser tests need it (the test setup installs it with apt-get when it runs as root on Debian; otherwise: sudo apt-get install -y chromium)`,
    )
  database = await createTestDatabase('cli_dashboard_browser')
  runtime = await runtimeOn(database.url, [checkout, order, invoice, napper, guestbook, doorman])
  await finishRuns(
    runtime,
    ['A1', 'B2'].map((sku) => () => runtime.start(checkout, { sku })),
  )
  orderId = await runtime.start(order, { orderId: 'o-42' })
  // Kept until the run reaches its wait: the order then fails at `ship` and is compensated.
  await runtime.signal(orderId, 'approved', { by: 'ada' })
  await runtime.waitFor(orderId, { timeout: '20s' })
  ;[guestbookId] = (await finishRuns(runtime, [() => runtime.start(guestbook, { note: XSS_NOTE })])) as [string]
  dashboard = await startDashboardProcess([], { DATABASE_URL: database.url, DURABLE_DASHBOARD_TOKEN: TOKEN })

  userDataDir = mkdtempSync(join(tmpdir(), 'durable-dashboard-chromium-'))
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    timezoneId: TIME_ZONE,
  })
  page = browser.pages()[0] ?? (await browser.newPage())
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) policyViolations.push(message.text())
  })
})
afterEach(() => {
  expect({ dialogs, pageErrors, policyViolations }).toEqual({ dialogs: [], pageErrors: [], policyViolations: [] })
})
afterAll(async () => {
  await browser?.close()
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
  await dashboard?.stop()
  await runtime?.close()
  await database?.drop()
})

/** The ids of the runs in the list, top to bottom. */
const listedIds = () => page.locator('tr[data-run-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run-id')))

/** Waits until the run page shows `status`, within a few refreshes. */
const statusShown = (status: string) => page.locator('#run-status', { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout: 15_000 })

describe('durable dashboard in a browser', () => {
  it('lists the runs, shows a new one at the next refresh without a reload, and filters by status', async () => {
    await page.goto(dashboard.url)
    await page.locator(`tr[data-run-id="${guestbookId}"]`).waitFor()
    expect(await listedIds()).toEqual((await runtime.list()).runs.map((run) => run.id))
    await expect(page.locator('#access-mode').textContent()).resolves.toBe('read-only until unlocked')

    const id = await runtime.start(checkout, { sku: 'live' })
    await page.locator(`tr[data-run-id="${id}"]`).waitFor({ timeout: 10_000 })
    expect((await listedIds())[0]).toBe(id)

    await page.selectOption('select[name=status]', 'failed')
    await expect.poll(() => new URL(page.url()).hash).toBe('#/?status=failed')
    await expect.poll(listedIds, { timeout: 10_000 }).toEqual([guestbookId, orderId])
    expect(await page.locator('tr[data-run-id] .status').allTextContents()).toEqual(['failed', 'failed'])
  })

  it('counts the runs by status at the top, with the backlog; a count filters the list', async () => {
    await page.goto(dashboard.url)
    const count = (status: string) => page.locator(`#stats .count[data-status="${status}"] .number`).textContent()
    // The live checkout of the test before has completed by now.
    await expect.poll(async () => (await runtime.stats()).byStatus.running + (await runtime.stats()).byStatus.pending, { timeout: 10_000 }).toBe(0)
    const stats = await runtime.stats()
    await expect.poll(() => count('completed'), { timeout: 10_000 }).toBe(String(stats.byStatus.completed))
    expect(await count('failed')).toBe('2')
    expect(await page.locator('#stats .count.total').textContent()).toBe(`${stats.total} in all`)
    expect(await page.locator('#backlog').textContent()).toMatch(
      /^Backlog: (no run is due and unheld|\d+ runs? (is|are) due and held by no worker, the oldest for .+) · \d+ held by workers now$/,
    )
    await page.locator('#stats .count[data-status="failed"]').click()
    await expect.poll(() => new URL(page.url()).hash).toBe('#/?status=failed')
    await expect.poll(listedIds, { timeout: 10_000 }).toEqual([guestbookId, orderId])
  })

  it('shows what a waiting run waits for and its pending signals, and offers only the actions that apply', async () => {
    const id = await runtime.start(doorman, { guest: 'ada' })
    await waitForStatus(runtime, id, 'waiting')
    await runtime.signal(id, 'enter', { door: 'front' })
    const until = (await runtime.find(id)).waitingFor
    expect(until?.kind).toBe('signal')
    const deadline = until?.kind === 'signal' ? local(until.until!) : ''

    await page.goto(dashboard.url)
    await page.locator(`tr[data-run-id="${id}"]`).waitFor({ timeout: 10_000 })
    expect(await page.locator(`tr[data-run-id="${id}"] td.waiting`).textContent()).toBe(`signal knock until ${deadline}`)
    expect(await page.locator('table.runs th', { hasText: 'Tries' }).getAttribute('title')).toContain('tries of steps and compensators that reached the journal')

    await page.goto(`${dashboard.url}#/runs/${id}`)
    await statusShown('waiting')
    expect(await page.locator('#run-waiting-for').textContent()).toBe(`signal knock until ${deadline}`)
    expect(await page.locator('#pending-signals h2').textContent()).toBe('Pending signals · 1')
    expect(await page.locator('#pending-signals tr[data-signal="enter"] td').allTextContents()).toEqual([
      'enter',
      local((await runtime.pendingSignals(id))[0]!.sentAt),
      '{"door":"front"}',
    ])
    // Active: signal (named after the wait) and cancel, never retry.
    expect(await page.locator('#signal-name').inputValue()).toBe('knock')
    expect(await page.locator('#signal-button').isVisible()).toBe(true)
    expect(await page.locator('#cancel-button').isVisible()).toBe(true)
    expect(await page.locator('#retry-button').isVisible()).toBe(false)

    // The run takes both signals and completes: nothing pending, nothing to do.
    await runtime.signal(id, 'knock')
    await statusShown('completed')
    await page.locator('#pending-signals').waitFor({ state: 'hidden' })
    expect(await page.locator('#run-waiting-for').count()).toBe(0)
    for (const button of ['#signal-button', '#cancel-button', '#retry-button']) expect(await page.locator(button).isVisible()).toBe(false)
    expect(await page.locator('#no-action').textContent()).toContain('Run completed: no action applies')

    // Failed: retry only.
    await page.goto(`${dashboard.url}#/runs/${orderId}`)
    await statusShown('failed')
    expect(await page.locator('#retry-button').isVisible()).toBe(true)
    expect(await page.locator('#signal-button').isVisible()).toBe(false)
    expect(await page.locator('#cancel-button').isVisible()).toBe(false)
    expect(await page.locator('#no-action').isVisible()).toBe(false)
  })

  it("shows a run's timeline: a bar per journal entry, attempts, errors with their stack, compensations, the signal and the child run", async () => {
    await page.goto(`${dashboard.url}#/runs/${orderId}`)
    await statusShown('failed')
    const journal = await runtime.journal(orderId)
    const rows = page.locator('ol.timeline li[data-seq]')
    expect(await rows.count()).toBe(journal.length)
    expect(await page.locator('ol.timeline .kind').allTextContents()).toEqual(journal.map((entry) => (entry.kind === 'compensated' ? '↩ compensated' : entry.kind)))
    expect(await page.locator('ol.timeline .attempt').allTextContents()).toEqual(journal.map((entry) => `attempt ${entry.attempt}`))
    expect(await page.locator('#run-error').textContent()).toBe('the carrier refused the parcel [NON_RETRYABLE] in step ship')
    expect(await page.locator('.legend').textContent()).toContain('does not record when a step started')

    // Bars follow one another: each starts where the one before it ends, within the track.
    // (The tests compile without the DOM library: an element is described by what is read of it.)
    type Styled = { style: { left: string; width: string } }
    const bars = await page
      .locator('ol.timeline .bar')
      .evaluateAll((elements) => elements.map((bar) => [parseFloat((bar as unknown as Styled).style.left), parseFloat((bar as unknown as Styled).style.width)]))
    expect(bars).toHaveLength(journal.length)
    for (const [index, [left, width]] of bars.entries()) {
      expect(left! + width!).toBeLessThanOrEqual(100.001)
      if (index > 0) expect(left!).toBeCloseTo(bars[index - 1]![0]! + bars[index - 1]![1]!, 3)
    }

    mkdirSync(dirname(ARTIFACT), { recursive: true })
    await page.screenshot({ path: ARTIFACT, fullPage: true })
    expect(existsSync(ARTIFACT)).toBe(true)

    const declined = page.locator('li[data-seq="2"]')
    expect(await declined.locator('.error-line').textContent()).toBe('Error: card declined, try again [CARD_DECLINED]')
    await declined.locator('details summary', { hasText: 'stack' }).click()
    expect(await declined.locator('details pre').textContent()).toContain('card declined, try again')
    expect(await page.locator('li[data-seq="6"] .detail').textContent()).toBe('payload {"by":"ada"}')
    expect(await page.locator('li.compensation .step').allTextContents()).toEqual(['charge', 'reserve'])

    // The child run, and back to its parent.
    const childLink = page.locator('li[data-seq="4"] .child a')
    const childId = (await childLink.textContent()) ?? ''
    await childLink.click()
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/runs/${childId}`)
    await statusShown('completed')
    expect(await page.locator('#run-summary h1 .mono').textContent()).toBe(childId)
    await page.locator('#run-summary dd a', { hasText: orderId }).click()
    await statusShown('failed')
  })

  it('cancels a sleeping run with the token, after a confirmation; a wrong token is refused and forgotten', async () => {
    const id = await runtime.start(napper, { guest: 'bo' })
    await waitForStatus(runtime, id, 'waiting')
    await page.goto(`${dashboard.url}#/runs/${id}`)
    await statusShown('waiting')
    expect(await page.locator('#cancel-button').isDisabled()).toBe(true)
    expect(await page.locator('#actions-locked').textContent()).toContain('Enter the dashboard token')

    const cancelWith = async (token: string) => {
      await page.fill('#token-input', token)
      await page.press('#token-input', 'Enter')
      await page.locator('#cancel-button:not([disabled])').waitFor()
      await page.fill('#cancel-reason', 'guest left early')
      await page.click('#cancel-button')
      expect(await page.locator('#confirm p').textContent()).toContain(`Cancel run ${id}?`)
      // Asking is not doing: nothing happens before the confirmation.
      expect((await runtime.journal(id)).map((entry) => entry.kind)).not.toContain('cancel_requested')
      await page.click('#confirm-yes')
    }

    await cancelWith('not-the-token')
    await page.locator('#action-message.error', { hasText: 'wrong dashboard token' }).waitFor()
    await page.locator('#token-input').waitFor() // forgotten: asked again
    expect((await runtime.find(id)).status).toBe('waiting')

    await cancelWith(TOKEN)
    await page.locator('#action-message.ok', { hasText: 'Cancel requested' }).waitFor()
    await statusShown('cancelled')
    expect(await runtime.find(id)).toMatchObject({ status: 'cancelled', error: { message: 'run cancelled: guest left early' } })
    expect(await page.locator('#cancel-button').isDisabled()).toBe(true)
  })

  it('shows HTML from run data as text and runs none of it', async () => {
    await page.goto(`${dashboard.url}#/runs/${guestbookId}`)
    await statusShown('failed')
    expect(await page.locator('#run-input').textContent()).toBe(JSON.stringify({ note: XSS_NOTE }, null, 2))
    expect(await page.locator('#run-results').textContent()).toContain(XSS_NOTE)
    expect(await page.locator('#run-error').textContent()).toBe(`refused ${XSS_IMAGE} [NON_RETRYABLE] in step moderate`)
    expect(await page.locator('li[data-seq="2"] .error-line').textContent()).toBe(`NonRetryableError: refused ${XSS_IMAGE} [NON_RETRYABLE] (not retryable)`)

    await page.goto(dashboard.url)
    await page.locator(`tr[data-run-id="${guestbookId}"]`).waitFor()
    expect(await page.locator(`tr[data-run-id="${guestbookId}"] td.error`).textContent()).toBe(`refused ${XSS_IMAGE} [NON_RETRYABLE] in step moderate`)
    // No element was made from the data, and its handler never ran.
    expect(await page.evaluate("({ injected: document.querySelectorAll('#view script, #view img').length, flag: window.__xss ?? null })")).toEqual({ injected: 0, flag: null })
  })
  it("shows every time in the viewer's time zone, with the UTC instant on hover", async () => {
    const run = await runtime.find(orderId)
    await page.goto(dashboard.url)
    const created = page.locator(`tr[data-run-id="${orderId}"] td .time`).first()
    await created.waitFor()
    expect(await created.textContent()).toBe(local(run.createdAt))
    expect(await created.getAttribute('title')).toBe(`${run.createdAt.toISOString()} (UTC)`)
    expect(await page.locator('table.runs th').allTextContents()).not.toContain('Created (UTC)')
    // Chromium may name the zone by its older alias.
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 10_000 }).toMatch(/ · times in Asia\/(Kolkata|Calcutta) \(hover one for UTC\)$/)

    await page.goto(`${dashboard.url}#/runs/${orderId}`)
    await statusShown('failed')
    const fields = page.locator('#run-summary dd .time')
    expect(await fields.first().textContent()).toBe(local(run.createdAt))
    expect(await fields.first().getAttribute('title')).toBe(`${run.createdAt.toISOString()} (UTC)`)
  })

  it('shows the journal of a run above the fold, before its input and results', async () => {
    await page.goto(`${dashboard.url}#/runs/${orderId}`)
    await statusShown('failed')
    const fold = page.viewportSize()!.height
    const first = await page.locator('ol.timeline li[data-seq]').first().boundingBox()
    expect(first).not.toBeNull()
    expect(first!.y + first!.height).toBeLessThan(fold)
    const [timelineTop, inputTop] = await Promise.all([page.locator('#timeline').boundingBox(), page.locator('#run-input').boundingBox()])
    expect(timelineTop!.y).toBeLessThan(inputTop!.y)
  })

  it('finds a run by its id (opening it) and by its idempotency key (listing it)', async () => {
    const id = await runtime.start(checkout, { sku: 'K1' }, { idempotencyKey: 'order-7731' })
    await runtime.waitFor(id, { timeout: '20s' })
    await page.goto(dashboard.url)
    await page.fill('input[name=search]', id)
    await page.press('input[name=search]', 'Enter')
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/runs/${id}`)
    await statusShown('completed')

    await page.goto(dashboard.url)
    await page.fill('input[name=search]', 'order-7731')
    await page.press('input[name=search]', 'Enter')
    await expect.poll(() => new URL(page.url()).hash).toBe('#/?key=order-7731')
    await expect.poll(listedIds, { timeout: 10_000 }).toEqual([id])
    expect(await page.locator('#key-filter').textContent()).toContain('idempotency key "order-7731"')

    await page.fill('input[name=search]', 'no-such-key')
    await page.press('input[name=search]', 'Enter')
    await expect.poll(() => new URL(page.url()).hash).toBe('#/?key=no-such-key')
    await page.locator('#runs', { hasText: 'No runs match these filters' }).waitFor({ timeout: 10_000 })
  })

  it('cancels the filtered runs in bulk after a confirmation that counts them, and touches no other', async () => {
    const ids = await Promise.all(['c1', 'c2', 'c3'].map((guest) => runtime.start(napper, { guest })))
    for (const id of ids) await waitForStatus(runtime, id, 'waiting')
    const other = await runtime.start(doorman, { guest: 'stays' })
    await waitForStatus(runtime, other, 'waiting')
    const waiting = (await runtime.list({ workflowName: 'napper', status: 'waiting' })).runs.length

    await page.goto(`${dashboard.url}#/?workflow=napper&status=waiting`)
    if (await page.locator('#token-input').isVisible()) {
      await page.fill('#token-input', TOKEN)
      await page.press('#token-input', 'Enter')
    }
    await page.locator('#bulk-cancel:not([disabled])').waitFor({ timeout: 10_000 })
    expect(await page.locator('#bulk-retry').isVisible()).toBe(false) // waiting runs cannot be retried
    await page.click('#bulk-cancel')
    await page.locator('#bulk-confirm p').waitFor()
    expect(await page.locator('#bulk-confirm p').textContent()).toContain(`Cancel ${waiting} waiting runs of workflow "napper"?`)
    // Asking is not doing.
    for (const id of ids) expect((await runtime.find(id)).status).toBe('waiting')
    await page.click('#bulk-yes')
    await page.locator('#bulk-message.ok', { hasText: `Cancel requested for ${waiting} runs` }).waitFor()
    for (const id of ids) expect((await runtime.waitFor(id, { timeout: '20s' })).status).toBe('cancelled')
    expect((await runtime.find(other)).status).toBe('waiting')
    await runtime.cancel(other)
  })

  it('retries the failed runs of a workflow in bulk; Back leaves them as they are', async () => {
    await page.goto(`${dashboard.url}#/?workflow=guestbook&status=failed`)
    await page.locator('#bulk-retry:not([disabled])').waitFor({ timeout: 10_000 })
    expect(await page.locator('#bulk-cancel').isVisible()).toBe(false)
    await page.click('#bulk-retry')
    await page.locator('#bulk-confirm p', { hasText: 'Retry 1 failed run of workflow "guestbook"' }).waitFor()
    await page.click('#bulk-no')
    await page.locator('#bulk-confirm').waitFor({ state: 'hidden' })
    expect((await runtime.journal(guestbookId)).map((entry) => entry.kind)).not.toContain('run_retried')

    await page.click('#bulk-retry')
    await page.click('#bulk-yes')
    await page.locator('#bulk-message.ok', { hasText: 'Retry requested for 1 run' }).waitFor()
    await expect.poll(async () => (await runtime.journal(guestbookId)).map((entry) => entry.kind), { timeout: 10_000 }).toContain('run_retried')
  })
})
