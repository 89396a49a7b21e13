/**
 * The runs view: counts by status and the due backlog (from `stats()`), the schedules, filters by workflow and
 * status, one page of runs (newest first) with what each waiting run waits for, and a link to
 * the next page by cursor. The filters and the cursor live in the URL (`#/?status=failed`), so a
 * page can be bookmarked and the back button works.
 */
export const RUNS_LIST_JS = String.raw`'use strict';
Dash.PAGE_SIZE = 25;

Dash.runsListView = function (query) {
  var h = Dash.h;
  var listHash = function (params) {
    var search = new URLSearchParams();
    Object.keys(params).forEach(function (key) { if (params[key]) search.set(key, params[key]); });
    var text = search.toString();
    return '#/' + (text ? '?' + text : '');
  };

  var workflowInput = h('input', { name: 'workflow', placeholder: 'any workflow', value: query.workflow || '', 'aria-label': 'workflow' });
  var statusSelect = h('select', { name: 'status', 'aria-label': 'status' }, [h('option', { value: '', text: 'any status' })].concat(
    Dash.STATUSES.map(function (status) { return h('option', { value: status, text: status, selected: status === query.status }); })
  ));
  var apply = function (event) {
    if (event) event.preventDefault();
    location.hash = listHash({ workflow: workflowInput.value.trim(), status: statusSelect.value });
  };
  statusSelect.addEventListener('change', apply);
  var filters = h('form', { class: 'filters', on: { submit: apply } }, [
    h('label', {}, ['Workflow', workflowInput]),
    h('label', {}, ['Status', statusSelect]),
    h('button', { type: 'submit', text: 'Filter' }),
    query.workflow || query.status ? h('a', { href: '#/', text: 'clear filters' }) : null
  ]);

  var counts = h('div', { class: 'panel stats', id: 'stats' }, [h('span', { class: 'muted', text: 'Counting runs…' })]);
  var body = h('div', { id: 'runs' });
  var pager = h('div', { class: 'pager' });
  var schedules = Dash.schedulesPanel();
  var element = h('section', {}, [counts, schedules.element, filters, body, pager]);
  var shown = '';
  var shownStats = '';

  /* One link per status (it filters the list), the total, and the runs due now that no worker holds. */
  function renderStats(stats) {
    var text = JSON.stringify(stats);
    if (text === shownStats) return;
    shownStats = text;
    var byStatus = Dash.STATUSES.map(function (status) {
      return h('a', { class: 'count', 'data-status': status, href: listHash({ workflow: query.workflow, status: status }) }, [
        h('span', { class: 'number', text: String(stats.byStatus[status] || 0) }), ' ', Dash.statusBadge(status)
      ]);
    });
    var backlog = stats.due === 0
      ? 'no run is due and unheld'
      : stats.due + (stats.due === 1 ? ' run is' : ' runs are') + ' due and held by no worker, the oldest for ' + Dash.elapsed(stats.dueLagMs).slice(1);
    Dash.fill(counts, [
      h('div', { class: 'counts' }, byStatus.concat([h('span', { class: 'count total', text: stats.total + ' in all' })])),
      h('p', { class: 'backlog' + (stats.due > 0 ? ' behind' : ''), id: 'backlog', title: 'A backlog that keeps growing means too few workers (or none that has the workflow).', text: 'Backlog: ' + backlog + ' · ' + stats.leased + ' held by workers now' })
    ]);
  }

  function render(page) {
    var text = JSON.stringify(page);
    if (text === shown) return;
    shown = text;
    if (page.runs.length === 0) {
      body.replaceChildren(h('div', { class: 'panel muted', text: query.workflow || query.status || query.cursor ? 'No runs match these filters on this page.' : 'No runs yet: start one from your app.' }));
    } else {
      var head = h('tr', {}, [['Run'], ['Workflow'], ['Status'], ['Waiting for', 'what a waiting run waits for: a signal (until its timeout), a timer (a sleep), or a child run'],
        ['Tries', 'tries of steps and compensators that reached the journal, over the whole run'], ['Created (UTC)'], ['Updated (UTC)'], ['Error']].map(function (column) {
        return h('th', { text: column[0], title: column[1] });
      }));
      var rows = page.runs.map(function (run) {
        return h('tr', { 'data-run-id': run.id }, [
          h('td', {}, [Dash.runLink(run.id), run.parentRunId ? h('div', { class: 'muted', text: 'child run' }) : null]),
          h('td', { text: run.workflowName }),
          h('td', {}, [Dash.statusBadge(run.status)]),
          h('td', { class: 'waiting' }, [run.waitingFor ? Dash.waitingFor(run.waitingFor) : null]),
          h('td', { class: 'tries', text: String(run.attempts) }),
          h('td', {}, [Dash.time(run.createdAt)]),
          h('td', {}, [Dash.time(run.updatedAt)]),
          h('td', { class: 'error', text: run.error ? Dash.describeError(run.error) : '' })
        ]);
      });
      body.replaceChildren(h('table', { class: 'runs' }, [h('thead', {}, [head]), h('tbody', {}, rows)]));
    }
    Dash.fill(pager, [
      query.cursor ? h('a', { href: listHash({ workflow: query.workflow, status: query.status }), text: '\u2190 newest runs' }) : null,
      page.nextCursor ? h('a', { id: 'older', href: listHash({ workflow: query.workflow, status: query.status, cursor: page.nextCursor }), text: 'older runs \u2192' }) : null,
      h('span', { class: 'muted', text: page.runs.length + (page.runs.length === 1 ? ' run' : ' runs') + ' on this page' })
    ]);
  }

  function refresh() {
    var search = new URLSearchParams({ limit: String(Dash.PAGE_SIZE) });
    if (query.workflow) search.set('workflow', query.workflow);
    if (query.status) search.set('status', query.status);
    if (query.cursor) search.set('cursor', query.cursor);
    return Promise.all([Dash.api('GET', '/api/runs?' + search.toString()), Dash.api('GET', '/api/stats'), schedules.refresh()]).then(function (answers) {
      render(answers[0]);
      renderStats(answers[1]);
    });
  }

  return { element: element, refresh: refresh, title: 'Runs' };
};
`
