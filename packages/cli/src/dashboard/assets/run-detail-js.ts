/**
 * The run view: the run's fields (with what it waits for), input and results, the signals it has
 * not taken yet, the actions panel, and the journal as a timeline — one row per entry, with a bar from the previous entry to this one, the attempt,
 * errors (message, code, stack), compensations, signal payloads and links to child runs.
 */
export const RUN_DETAIL_JS = String.raw`'use strict';
Dash.KINDS = ['step_completed', 'step_failed', 'compensated', 'compensation_failed', 'timer_started', 'timer_fired', 'signal_received',
  'cancel_requested', 'run_timed_out', 'run_retried', 'iteration_completed', 'child_started', 'child_completed', 'route_selected'];

Dash.runDetailView = function (runId) {
  var h = Dash.h;
  var summary = h('section', { class: 'panel', id: 'run-summary' }, [h('p', { class: 'muted', text: 'Loading run ' + runId + '…' })]);
  var signals = h('section', { class: 'panel', id: 'pending-signals', hidden: true });
  var timeline = h('section', { class: 'panel', id: 'timeline' });
  var actions = Dash.runActions(runId, function () { refresh(); });
  var element = h('div', {}, [summary, signals, actions.element, timeline]);
  var shown = '';
  // Which <details> the user opened, so that a refresh keeps them open.
  var open = {};

  function field(name, value) {
    return [h('dt', { text: name }), h('dd', {}, [value])];
  }

  function renderSummary(run) {
    var fields = [].concat(
      field('workflow', h('span', { text: run.workflowName })),
      run.waitingFor ? field('waiting for', Dash.waitingFor(run.waitingFor, 'run-waiting-for')) : [],
      run.error ? field('error', h('span', { class: 'run-error', id: 'run-error', text: Dash.describeError(run.error) })) : [],
      field('tries', h('span', { id: 'run-tries', title: 'tries of steps and compensators that reached the journal, over the whole run', text: String(run.attempts) })),
      field('created', Dash.time(run.createdAt)),
      field('updated', Dash.time(run.updatedAt)),
      run.parentRunId ? field('parent run', Dash.runLink(run.parentRunId)) : []
    );
    var hasResults = Object.keys(run.results).length > 0;
    Dash.fill(summary, [
      h('p', {}, [h('a', { href: '#/', text: '← all runs' })]),
      h('h1', {}, ['Run ', h('span', { class: 'mono', text: run.id }), Dash.statusBadge(run.status, 'run-status')]),
      h('dl', { class: 'fields' }, fields),
      h('div', { class: 'columns' }, [
        h('div', {}, [h('h3', { text: 'Input' }), Dash.pre(run.input, 'run-input')]),
        h('div', {}, [
          h('h3', { text: run.result !== null ? 'Result' : Dash.isTerminal(run.status) ? 'Results' : 'Results so far' }),
          hasResults ? Dash.pre(run.results, 'run-results') : h('p', { class: 'muted', text: 'no step has finished yet' })
        ])
      ])
    ]);
  }

  /* The signals sent to the run that it has not taken yet: shown while there are any. */
  function renderSignals(run, pending) {
    signals.hidden = pending.length === 0;
    if (pending.length === 0) return signals.replaceChildren();
    var note = Dash.isTerminal(run.status)
      ? 'The run ended without taking them.'
      : 'Kept until the run reaches the waitForSignal step of their name; each is taken once, oldest first.';
    var head = h('tr', {}, ['Name', 'Sent (UTC)', 'Payload'].map(function (title) { return h('th', { text: title }); }));
    var rows = pending.map(function (signal) {
      return h('tr', { 'data-signal': signal.name }, [
        h('td', { class: 'mono', text: signal.name }),
        h('td', {}, [Dash.time(signal.sentAt)]),
        h('td', { class: 'mono', title: Dash.oneLine(signal.payload, 2000), text: Dash.oneLine(signal.payload, 80) })
      ]);
    });
    Dash.fill(signals, [
      h('h2', { text: 'Pending signals · ' + pending.length }),
      h('p', { class: 'legend', text: note }),
      h('table', { class: 'runs signals' }, [h('thead', {}, [head]), h('tbody', {}, rows)])
    ]);
  }

  function details(key, label, text) {
    var box = h('details', { open: open[key] === true }, [h('summary', { text: label }), h('pre', { text: text })]);
    box.addEventListener('toggle', function () { open[key] = box.open; });
    return box;
  }

  /* What an entry carries: an error with its stack, a child run, a signal's payload, or a result. */
  function entryDetail(row) {
    var key = String(row.seq);
    var parts = [];
    if (row.error) {
      var error = row.error;
      parts.push(h('div', { class: 'error-line', text: error.name + ': ' + error.message + (error.code ? ' [' + error.code + ']' : '') + (error.retryable ? '' : ' (not retryable)') }));
      if (error.stack) parts.push(details(key + ':stack', 'stack', error.stack));
    }
    if (row.childRunId) parts.push(h('div', { class: 'child' }, ['started child run ', Dash.runLink(row.childRunId)]));
    else if (row.result !== null) {
      var label = row.kind === 'signal_received' ? 'payload' : row.kind === 'route_selected' ? 'chose' : 'result';
      var line = Dash.oneLine(row.result, 140);
      parts.push(line.length < 140 ? h('div', { class: 'mono', text: label + ' ' + line }) : details(key + ':result', label + ' ' + line, JSON.stringify(row.result, null, 2)));
    }
    return h('div', { class: 'detail' }, parts);
  }

  function renderTimeline(data) {
    var rows = data.timeline.rows;
    var span = data.timeline.spanMs;
    var items = rows.map(function (row) {
      var kind = Dash.KINDS.indexOf(row.kind) >= 0 ? row.kind : 'other';
      var classes = (row.compensation ? 'compensation ' : '') + (row.error ? 'failed' : '');
      var bar = h('div', { class: 'bar' });
      // Sized through CSSOM: the Content-Security-Policy refuses style attributes.
      var left = span > 0 ? Math.min(100, Math.max(0, row.startOffsetMs / span * 100)) : 0;
      bar.style.left = left + '%';
      bar.style.width = (span > 0 ? Math.min(100 - left, Math.max(0, row.durationMs) / span * 100) : 0) + '%';
      return h('li', { class: classes, 'data-seq': String(row.seq) }, [
        h('span', { class: 'seq', text: '#' + row.seq }),
        h('span', { class: 'step', text: row.stepKey }),
        h('span', { class: 'kind kind-' + kind, text: (row.compensation ? '↩ ' : '') + row.kind }),
        h('span', { class: 'attempt', text: 'attempt ' + row.attempt }),
        h('div', {}, [h('div', { class: 'track', title: 'written ' + row.createdAt }, [bar]), h('span', { class: 'duration', text: Dash.elapsed(row.durationMs) + ' since ' + (row.seq === rows[0].seq ? 'the run was created' : 'the entry before') })]),
        entryDetail(row)
      ]);
    });
    var head = h('li', { class: 'head' }, ['#', 'step', 'kind', 'attempt', 'time since the previous entry'].map(function (title) { return h('span', { text: title }); }));
    Dash.fill(timeline, [
      h('h2', { text: 'Timeline · ' + rows.length + (rows.length === 1 ? ' journal entry' : ' journal entries') + ' over ' + Dash.elapsed(span).slice(1) }),
      h('p', { class: 'legend', text: 'Each bar runs from the previous journal entry (the first from when the run was created) to when this entry was written. ' +
        'The journal does not record when a step started, so a bar also covers time queued, backing off between attempts, asleep, or waiting for a signal or a child run — not only the step’s own work.' }),
      rows.length === 0 ? h('p', { class: 'muted', text: 'No journal entries yet: no step has finished.' }) : h('ol', { class: 'timeline' }, [head].concat(items))
    ]);
  }

  function refresh() {
    return Dash.api('GET', '/api/runs/' + encodeURIComponent(runId)).then(function (data) {
      actions.update(data.run);
      var text = JSON.stringify(data);
      if (text === shown) return;
      shown = text;
      renderSummary(data.run);
      renderSignals(data.run, data.pendingSignals || []);
      renderTimeline(data);
    }, function (error) {
      if (error.code !== 'RUN_NOT_FOUND' && error.code !== 'INVALID_INPUT') throw error;
      shown = '';
      Dash.fill(summary, [h('p', {}, [h('a', { href: '#/', text: '← all runs' })]), h('div', { class: 'notice', id: 'not-found', text: error.message })]);
      actions.element.hidden = true;
      signals.hidden = true;
      timeline.hidden = true;
    });
  }

  return { element: element, refresh: refresh, title: 'Run ' + runId, actions: actions };
};
`
