/**
 * The schedules panel of the runs view: each schedule the workers keep (`GET /api/schedules`)
 * with its workflow, cron, next slot and the run its last slot started. Hidden when there is none.
 */
export const SCHEDULES_JS = String.raw`'use strict';
Dash.schedulesPanel = function () {
  var h = Dash.h;
  var element = h('div', { class: 'panel schedules', id: 'schedules', hidden: true });
  var shown = '';

  function render(answer) {
    var text = JSON.stringify(answer);
    if (text === shown) return;
    shown = text;
    element.hidden = answer.schedules.length === 0;
    var head = h('tr', {}, ['Schedule', 'Workflow', 'Cron', 'Next (UTC)', 'Last run'].map(function (name) { return h('th', { text: name }); }));
    var rows = answer.schedules.map(function (schedule) {
      return h('tr', { 'data-schedule': schedule.name }, [
        h('td', { text: schedule.name }),
        h('td', { text: schedule.workflowName }),
        h('td', {}, [h('code', { text: schedule.cron })]),
        h('td', {}, [schedule.nextAt ? Dash.time(schedule.nextAt) : h('span', { class: 'muted', text: 'none' })]),
        h('td', {}, [schedule.lastRunId ? Dash.runLink(schedule.lastRunId) : h('span', { class: 'muted', text: 'not yet' })])
      ]);
    });
    Dash.fill(element, [h('h2', { text: 'Schedules' }), h('table', { class: 'runs' }, [h('thead', {}, [head]), h('tbody', {}, rows)])]);
  }

  function refresh() {
    return Dash.api('GET', '/api/schedules').then(render);
  }

  return { element: element, refresh: refresh };
};
`
