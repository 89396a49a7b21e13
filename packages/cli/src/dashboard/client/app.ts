/**
 * The page's shell, and the entry point of the bundle: reads the config, routes `#/` (runs) and
 * `#/runs/<id>` (a run), refreshes the current view every `pollMs` while the tab is visible, and
 * holds the token form.
 */
import type { DashboardConfig, View } from './api-types.ts'
import { api, config, failureOf, fill, h, localTime, setConfig, shell, timeZone, token } from './dom.ts'
import { runDetailView } from './run-detail.ts'
import { runsListView, type RunsQuery } from './runs-list.ts'

type Route = { view: 'run'; runId: string } | { view: 'runs'; query: RunsQuery } | { view: 'missing'; path: string }

/** Finds the page's element by id; the page (index.html) always has them. */
function byId(id: string): HTMLElement {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`the page has no #${id}`)
  return el
}

const viewRoot = byId('view')
const live = byId('live')
const access = byId('access')
let current: View | null = null
let generation = 0
let timer: ReturnType<typeof setTimeout> | undefined

function routeOf(hash: string): Route {
  const text = hash.replace(/^#/, '') || '/'
  const q = text.indexOf('?')
  const path = q >= 0 ? text.slice(0, q) : text
  const params = new URLSearchParams(q >= 0 ? text.slice(q + 1) : '')
  const run = /^\/runs\/([^/]+)$/.exec(path)
  if (run) return { view: 'run', runId: decodeURIComponent(run[1] ?? '') }
  if (path === '/' || path === '')
    return {
      view: 'runs',
      query: { workflow: params.get('workflow') || '', status: params.get('status') || '', key: params.get('key') || '', cursor: params.get('cursor') || '' },
    }
  return { view: 'missing', path }
}

function show() {
  generation += 1
  clearTimeout(timer)
  let route: Route
  try {
    route = routeOf(location.hash)
  } catch {
    route = { view: 'missing', path: location.hash }
  }
  const view: View =
    route.view === 'run'
      ? runDetailView(route.runId)
      : route.view === 'runs'
        ? runsListView(route.query)
        : { element: h('div', { class: 'notice', text: 'No page here: ' + route.path }), refresh: () => Promise.resolve(), title: 'Not found' }
  current = view
  document.title = view.title + ' · durable'
  viewRoot.replaceChildren(view.element)
  tick(generation)
}

/* Refreshes the view now, then again pollMs after each refresh ends (never two at once). */
function tick(mine: number) {
  if (mine !== generation || current === null) return
  if (document.hidden) {
    live.textContent = 'paused while the tab is hidden'
    live.className = 'live'
    timer = setTimeout(() => tick(mine), config.pollMs)
    return
  }
  current
    .refresh()
    .then(
      () => {
        if (mine !== generation) return
        live.textContent = 'live · updated ' + localTime(new Date().toISOString()).slice(11) + ' · times in ' + timeZone() + ' (hover one for UTC)'
        live.className = 'live ok'
      },
      (error: unknown) => {
        if (mine !== generation) return
        live.textContent = failureOf(error).message + ' (retrying)'
        live.className = 'live down'
      },
    )
    .then(() => {
      if (mine === generation) timer = setTimeout(() => tick(mine), config.pollMs)
    })
}

/* The token form (or the state of the token) at the top right. */
function renderAccess() {
  if (config.readOnly) {
    fill(access, [h('span', { id: 'access-mode', text: 'read-only' })])
    return
  }
  if (token.get()) {
    fill(access, [
      h('span', { id: 'access-mode', text: 'actions unlocked' }),
      h('button', { type: 'button', id: 'token-forget', text: 'Forget token', on: { click: () => shell.forgetToken() } }),
    ])
    return
  }
  const input = h('input', { type: 'password', id: 'token-input', placeholder: 'dashboard token', autocomplete: 'off', 'aria-label': 'dashboard token' })
  const submit = (event: Event) => {
    event.preventDefault()
    if (!input.value.trim()) return
    token.set(input.value.trim())
    renderAccess()
    if (current?.actions) show()
  }
  const form = h('form', { id: 'token-form', on: { submit } }, [input, h('button', { type: 'submit', text: 'Unlock actions' })])
  fill(access, [h('span', { id: 'access-mode', text: 'read-only until unlocked' }), form])
}

shell.forgetToken = () => {
  token.clear()
  renderAccess()
  if (current?.actions) void current.refresh()
}

window.addEventListener('hashchange', show)
api<DashboardConfig>('GET', '/api/config')
  .then(setConfig, () => {
    /* keep the read-only defaults; the view says what is wrong */
  })
  .then(() => {
    renderAccess()
    show()
  })
