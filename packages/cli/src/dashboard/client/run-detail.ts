/**
 * The run view: the run's fields (with what it waits for), input and results, the signals it has
 * not taken yet, the actions panel, and the journal as a timeline — one row per entry, with a bar
 * from the previous entry to this one, the attempt, errors (message, code, stack), compensations,
 * signal payloads and links to child runs.
 */
import type { PendingSignalJson, RunDetailJson, RunJson, TimelineRowJson, View } from './api-types.ts'
import { api, describeError, elapsed, failureOf, fill, h, isTerminal, localTime, oneLine, pre, runLink, statusBadge, time, waitingFor } from './dom.ts'
import { runActions, type RunActions } from './run-actions.ts'

const KINDS: readonly string[] = [
  'step_completed',
  'step_failed',
  'compensated',
  'compensation_failed',
  'timer_started',
  'timer_fired',
  'signal_received',
  'cancel_requested',
  'run_timed_out',
  'run_retried',
  'iteration_completed',
  'child_started',
  'child_completed',
  'route_selected',
]

export function runDetailView(runId: string): View & { readonly actions: RunActions } {
  const summary = h('section', { class: 'panel', id: 'run-summary' }, [h('p', { class: 'muted', text: 'Loading run ' + runId + '…' })])
  const signals = h('section', { class: 'panel', id: 'pending-signals', hidden: true })
  const timeline = h('section', { class: 'panel', id: 'timeline' })
  const data = h('section', { class: 'panel', id: 'run-data', hidden: true })
  const actions = runActions(runId, () => void refresh())
  // The journal comes right after the run's fields, above the fold; input and results after it.
  const element = h('div', {}, [summary, timeline, signals, actions.element, data])
  let shown = ''
  // Which <details> the user opened, so that a refresh keeps them open.
  const open: Record<string, boolean> = {}

  function field(name: string, value: Node): HTMLElement[] {
    return [h('dt', { text: name }), h('dd', {}, [value])]
  }

  function renderSummary(run: RunJson) {
    const fields = [
      ...field('workflow', h('span', { text: run.workflowName })),
      ...(run.waitingFor ? field('waiting for', waitingFor(run.waitingFor, 'run-waiting-for')) : []),
      ...(run.error ? field('error', h('span', { class: 'run-error', id: 'run-error', text: describeError(run.error) })) : []),
      ...field('tries', h('span', { id: 'run-tries', title: 'tries of steps and compensators that reached the journal, over the whole run', text: String(run.attempts) })),
      ...field('created', time(run.createdAt)),
      ...field('updated', time(run.updatedAt)),
      ...(run.parentRunId ? field('parent run', runLink(run.parentRunId)) : []),
    ]
    const hasResults = Object.keys(run.results).length > 0
    fill(summary, [
      h('p', {}, [h('a', { href: '#/', text: '← all runs' })]),
      h('h1', {}, ['Run ', h('span', { class: 'mono', text: run.id }), statusBadge(run.status, 'run-status')]),
      h('dl', { class: 'fields' }, fields),
    ])
    data.hidden = false
    fill(data, [
      h('div', { class: 'columns' }, [
        h('div', {}, [h('h3', { text: 'Input' }), pre(run.input, 'run-input')]),
        h('div', {}, [
          h('h3', { text: run.result !== null ? 'Result' : isTerminal(run.status) ? 'Results' : 'Results so far' }),
          hasResults ? pre(run.results, 'run-results') : h('p', { class: 'muted', text: 'no step has finished yet' }),
        ]),
      ]),
    ])
  }

  /* The signals sent to the run that it has not taken yet: shown while there are any. */
  function renderSignals(run: RunJson, pending: readonly PendingSignalJson[]) {
    signals.hidden = pending.length === 0
    if (pending.length === 0) return signals.replaceChildren()
    const note = isTerminal(run.status)
      ? 'The run ended without taking them.'
      : 'Kept until the run reaches the waitForSignal step of their name; each is taken once, oldest first.'
    const head = h(
      'tr',
      {},
      ['Name', 'Sent', 'Payload'].map((title) => h('th', { text: title })),
    )
    const rows = pending.map((signal) =>
      h('tr', { 'data-signal': signal.name }, [
        h('td', { class: 'mono', text: signal.name }),
        h('td', {}, [time(signal.sentAt)]),
        h('td', { class: 'mono', title: oneLine(signal.payload, 2000), text: oneLine(signal.payload, 80) }),
      ]),
    )
    fill(signals, [
      h('h2', { text: 'Pending signals · ' + pending.length }),
      h('p', { class: 'legend', text: note }),
      h('table', { class: 'runs signals' }, [h('thead', {}, [head]), h('tbody', {}, rows)]),
    ])
  }

  function details(key: string, label: string, text: string) {
    const box = h('details', { open: open[key] === true }, [h('summary', { text: label }), h('pre', { text })])
    box.addEventListener('toggle', () => {
      open[key] = box.open
    })
    return box
  }

  /* What an entry carries: an error with its stack, a child run, a signal's payload, or a result. */
  function entryDetail(row: TimelineRowJson) {
    const key = String(row.seq)
    const parts: HTMLElement[] = []
    if (row.error) {
      const error = row.error
      parts.push(
        h('div', { class: 'error-line', text: error.name + ': ' + error.message + (error.code ? ' [' + error.code + ']' : '') + (error.retryable ? '' : ' (not retryable)') }),
      )
      if (error.stack) parts.push(details(key + ':stack', 'stack', error.stack))
    }
    if (row.childRunId) parts.push(h('div', { class: 'child' }, ['started child run ', runLink(row.childRunId)]))
    else if (row.result !== null) {
      const label = row.kind === 'signal_received' ? 'payload' : row.kind === 'route_selected' ? 'chose' : 'result'
      const line = oneLine(row.result, 140)
      parts.push(line.length < 140 ? h('div', { class: 'mono', text: label + ' ' + line }) : details(key + ':result', label + ' ' + line, JSON.stringify(row.result, null, 2)))
    }
    return h('div', { class: 'detail' }, parts)
  }

  function renderTimeline(data: RunDetailJson) {
    const rows = data.timeline.rows
    const span = data.timeline.spanMs
    const items = rows.map((row) => {
      const kind = KINDS.includes(row.kind) ? row.kind : 'other'
      const classes = (row.compensation ? 'compensation ' : '') + (row.error ? 'failed' : '')
      const bar = h('div', { class: 'bar' })
      // Sized through CSSOM: the Content-Security-Policy refuses style attributes.
      const left = span > 0 ? Math.min(100, Math.max(0, (row.startOffsetMs / span) * 100)) : 0
      bar.style.left = left + '%'
      bar.style.width = (span > 0 ? Math.min(100 - left, (Math.max(0, row.durationMs) / span) * 100) : 0) + '%'
      return h('li', { class: classes, 'data-seq': String(row.seq) }, [
        h('span', { class: 'seq', text: '#' + row.seq }),
        h('span', { class: 'step', text: row.stepKey }),
        h('span', { class: 'kind kind-' + kind, text: (row.compensation ? '↩ ' : '') + row.kind }),
        h('span', { class: 'attempt', text: 'attempt ' + row.attempt }),
        h('div', {}, [
          h('div', { class: 'track', title: 'written ' + localTime(row.createdAt) + ' (' + row.createdAt + ' UTC)' }, [bar]),
          h('span', { class: 'duration', text: elapsed(row.durationMs) + ' since ' + (row.seq === rows[0]?.seq ? 'the run was created' : 'the entry before') }),
        ]),
        entryDetail(row),
      ])
    })
    const head = h(
      'li',
      { class: 'head' },
      ['#', 'step', 'kind', 'attempt', 'time since the previous entry'].map((title) => h('span', { text: title })),
    )
    fill(timeline, [
      h('h2', { text: 'Timeline · ' + rows.length + (rows.length === 1 ? ' journal entry' : ' journal entries') + ' over ' + elapsed(span).slice(1) }),
      h('p', {
        class: 'legend',
        text:
          'Each bar runs from the previous journal entry (the first from when the run was created) to when this entry was written. ' +
          'The journal does not record when a step started, so a bar also covers time queued, backing off between attempts, asleep, or waiting for a signal or a child run — not only the step’s own work.',
      }),
      rows.length === 0 ? h('p', { class: 'muted', text: 'No journal entries yet: no step has finished.' }) : h('ol', { class: 'timeline' }, [head, ...items]),
    ])
  }

  function refresh(): Promise<void> {
    return api<RunDetailJson>('GET', '/api/runs/' + encodeURIComponent(runId)).then(
      (data) => {
        actions.update(data.run)
        const text = JSON.stringify(data)
        if (text === shown) return
        shown = text
        renderSummary(data.run)
        renderSignals(data.run, data.pendingSignals || [])
        renderTimeline(data)
      },
      (reason: unknown) => {
        const error = failureOf(reason)
        if (error.code !== 'RUN_NOT_FOUND' && error.code !== 'INVALID_INPUT') throw error
        shown = ''
        fill(summary, [h('p', {}, [h('a', { href: '#/', text: '← all runs' })]), h('div', { class: 'notice', id: 'not-found', text: error.message })])
        actions.element.hidden = true
        data.hidden = true
        signals.hidden = true
        timeline.hidden = true
      },
    )
  }

  return { element, refresh, title: 'Run ' + runId, actions }
}
