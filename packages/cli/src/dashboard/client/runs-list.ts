/**
 * The runs view: counts by status and the due backlog (from `stats()`), the schedules, a search
 * by run id or idempotency key, filters by workflow and status, bulk cancel and retry of the
 * filtered runs, one page of runs (newest first) with what each waiting run waits for, and a
 * link to the next page by cursor. The search, the filters and the cursor live in the URL
 * (`#/?status=failed`), so a page can be bookmarked and the back button works.
 */
import type { RunsPageJson, StatsJson, View } from './api-types.ts'
import { bulkActions } from './bulk-actions.ts'
import { schedulesPanel } from './schedules.ts'
import { api, describeError, elapsed, failureOf, fill, h, runLink, STATUSES, statusBadge, time, waitingFor } from './dom.ts'

const PAGE_SIZE = 25

/** The filters and the page, as the URL has them ('' when unset). */
export interface RunsQuery {
  readonly workflow: string
  readonly status: string
  /** An idempotency key: the runs started with it. */
  readonly key: string
  readonly cursor: string
}

const listHash = (params: Readonly<Record<string, string | null | undefined>>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value)
  const text = search.toString()
  return '#/' + (text ? '?' + text : '')
}

export function runsListView(query: RunsQuery): View {
  const searchInput = h('input', { name: 'search', type: 'search', placeholder: 'run id or idempotency key', value: query.key || '', 'aria-label': 'search' })
  const searchNote = h('span', { class: 'muted', id: 'search-note' })
  /* A run id opens that run; anything else lists the runs started with it as idempotency key. */
  const search = (event: Event) => {
    event.preventDefault()
    const text = searchInput.value.trim()
    if (!text) {
      location.hash = listHash({ workflow: query.workflow, status: query.status })
      return
    }
    searchNote.textContent = 'Looking…'
    api('GET', '/api/runs/' + encodeURIComponent(text)).then(
      () => {
        location.hash = '#/runs/' + encodeURIComponent(text)
      },
      (reason: unknown) => {
        const error = failureOf(reason)
        if (error.code !== 'RUN_NOT_FOUND' && error.code !== 'INVALID_INPUT') {
          searchNote.textContent = error.message
          return
        }
        searchNote.textContent = ''
        location.hash = listHash({ workflow: query.workflow, status: query.status, key: text })
      },
    )
  }
  const searchForm = h('form', { class: 'filters search', id: 'search', on: { submit: search } }, [
    h('label', { class: 'grow' }, ['Search', searchInput]),
    h('button', { type: 'submit', text: 'Find' }),
    searchNote,
  ])
  const workflowInput = h('input', { name: 'workflow', placeholder: 'any workflow', value: query.workflow || '', 'aria-label': 'workflow' })
  const statusSelect = h(
    'select',
    { name: 'status', 'aria-label': 'status' },
    [h('option', { value: '', text: 'any status' })].concat(STATUSES.map((status) => h('option', { value: status, text: status, selected: status === query.status }))),
  )
  const apply = (event?: Event) => {
    if (event) event.preventDefault()
    location.hash = listHash({ workflow: workflowInput.value.trim(), status: statusSelect.value, key: query.key })
  }
  statusSelect.addEventListener('change', apply)
  const filters = h('form', { class: 'filters', on: { submit: apply } }, [
    h('label', {}, ['Workflow', workflowInput]),
    h('label', {}, ['Status', statusSelect]),
    h('button', { type: 'submit', text: 'Filter' }),
    query.workflow || query.status || query.key ? h('a', { href: '#/', text: 'clear filters' }) : null,
  ])
  const bulk = bulkActions(query, () => void refresh())

  const counts = h('div', { class: 'panel stats', id: 'stats' }, [h('span', { class: 'muted', text: 'Counting runs…' })])
  const body = h('div', { id: 'runs' })
  const pager = h('div', { class: 'pager' })
  const schedules = schedulesPanel()
  const keyNote = query.key ? h('p', { class: 'muted', id: 'key-filter', text: 'Runs started with idempotency key "' + query.key + '" (one per workflow at most).' }) : null
  const element = h('section', {}, [counts, schedules.element, searchForm, filters, keyNote, bulk.element, body, pager])
  let shown = ''
  let shownStats = ''

  /* One link per status (it filters the list), the total, and the runs due now that no worker holds. */
  function renderStats(stats: StatsJson) {
    const text = JSON.stringify(stats)
    if (text === shownStats) return
    shownStats = text
    const byStatus = STATUSES.map((status) =>
      h('a', { class: 'count', 'data-status': status, href: listHash({ workflow: query.workflow, status, key: query.key }) }, [
        h('span', { class: 'number', text: String(stats.byStatus[status] || 0) }),
        ' ',
        statusBadge(status),
      ]),
    )
    const backlog =
      stats.due === 0
        ? 'no run is due and unheld'
        : stats.due + (stats.due === 1 ? ' run is' : ' runs are') + ' due and held by no worker, the oldest for ' + elapsed(stats.dueLagMs).slice(1)
    fill(counts, [
      h('div', { class: 'counts' }, [...byStatus, h('span', { class: 'count total', text: stats.total + ' in all' })]),
      h('p', {
        class: 'backlog' + (stats.due > 0 ? ' behind' : ''),
        id: 'backlog',
        title: 'A backlog that keeps growing means too few workers (or none that has the workflow).',
        text: 'Backlog: ' + backlog + ' · ' + stats.leased + ' held by workers now',
      }),
    ])
  }

  function render(page: RunsPageJson) {
    const text = JSON.stringify(page)
    if (text === shown) return
    shown = text
    if (page.runs.length === 0) {
      body.replaceChildren(
        h('div', {
          class: 'panel muted',
          text: query.workflow || query.status || query.key || query.cursor ? 'No runs match these filters on this page.' : 'No runs yet: start one from your app.',
        }),
      )
    } else {
      const columns: ReadonlyArray<readonly [string, string?]> = [
        ['Run'],
        ['Workflow'],
        ['Status'],
        ['Waiting for', 'what a waiting run waits for: a signal (until its timeout), a timer (a sleep), or a child run'],
        ['Tries', 'tries of steps and compensators that reached the journal, over the whole run'],
        ['Created', 'in your time zone; hover a time for the UTC instant'],
        ['Updated', 'in your time zone; hover a time for the UTC instant'],
        ['Error'],
      ]
      const head = h(
        'tr',
        {},
        columns.map(([name, title]) => h('th', { text: name, title })),
      )
      const rows = page.runs.map((run) =>
        h('tr', { 'data-run-id': run.id }, [
          h('td', {}, [runLink(run.id), run.parentRunId ? h('div', { class: 'muted', text: 'child run' }) : null]),
          h('td', { text: run.workflowName }),
          h('td', {}, [statusBadge(run.status)]),
          h('td', { class: 'waiting' }, [run.waitingFor ? waitingFor(run.waitingFor) : null]),
          h('td', { class: 'tries', text: String(run.attempts) }),
          h('td', {}, [time(run.createdAt)]),
          h('td', {}, [time(run.updatedAt)]),
          h('td', { class: 'error', text: run.error ? describeError(run.error) : '' }),
        ]),
      )
      body.replaceChildren(h('table', { class: 'runs' }, [h('thead', {}, [head]), h('tbody', {}, rows)]))
    }
    fill(pager, [
      query.cursor ? h('a', { href: listHash({ workflow: query.workflow, status: query.status, key: query.key }), text: '\u2190 newest runs' }) : null,
      page.nextCursor
        ? h('a', { id: 'older', href: listHash({ workflow: query.workflow, status: query.status, key: query.key, cursor: page.nextCursor }), text: 'older runs \u2192' })
        : null,
      h('span', { class: 'muted', text: page.runs.length + (page.runs.length === 1 ? ' run' : ' runs') + ' on this page' }),
    ])
  }

  function refresh(): Promise<void> {
    const search = new URLSearchParams({ limit: String(PAGE_SIZE) })
    if (query.workflow) search.set('workflow', query.workflow)
    if (query.status) search.set('status', query.status)
    if (query.key) search.set('key', query.key)
    if (query.cursor) search.set('cursor', query.cursor)
    return Promise.all([api<RunsPageJson>('GET', '/api/runs?' + search.toString()), api<StatsJson>('GET', '/api/stats'), schedules.refresh()]).then(([page, stats]) => {
      render(page)
      renderStats(stats)
      bulk.update()
    })
  }

  return { element, refresh, title: 'Runs' }
}
