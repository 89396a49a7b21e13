/**
 * The runs view: filters by workflow and status, one page of runs (newest first), and a link to
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

  var body = h('div', { id: 'runs' });
  var pager = h('div', { class: 'pager' });
  var element = h('section', {}, [filters, body, pager]);
  var shown = '';

  function render(page) {
    var text = JSON.stringify(page);
    if (text === shown) return;
    shown = text;
    if (page.runs.length === 0) {
      body.replaceChildren(h('div', { class: 'panel muted', text: query.workflow || query.status || query.cursor ? 'No runs match these filters on this page.' : 'No runs yet: start one from your app.' }));
    } else {
      var head = h('tr', {}, ['Run', 'Workflow', 'Status', 'Attempts', 'Created (UTC)', 'Updated (UTC)', 'Error'].map(function (title) { return h('th', { text: title }); }));
      var rows = page.runs.map(function (run) {
        return h('tr', { 'data-run-id': run.id }, [
          h('td', {}, [Dash.runLink(run.id), run.parentRunId ? h('div', { class: 'muted', text: 'child run' }) : null]),
          h('td', { text: run.workflowName }),
          h('td', {}, [Dash.statusBadge(run.status)]),
          h('td', { text: String(run.attempts) }),
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
    return Dash.api('GET', '/api/runs?' + search.toString()).then(render);
  }

  return { element: element, refresh: refresh, title: 'Runs' };
};
`
