/**
 * The schedules panel of the runs view: each schedule the workers keep (`GET /api/schedules`)
 * with its workflow, cron, next slot and the run its last slot started. Hidden when there is none.
 */
import type { ScheduleJson } from './api-types.ts'
import { api, fill, h, runLink, time } from './dom.ts'

export function schedulesPanel(): { element: HTMLElement; refresh: () => Promise<void> } {
  const element = h('div', { class: 'panel schedules', id: 'schedules', hidden: true })
  let shown = ''

  function render(answer: { schedules: readonly ScheduleJson[] }) {
    const text = JSON.stringify(answer)
    if (text === shown) return
    shown = text
    element.hidden = answer.schedules.length === 0
    const head = h(
      'tr',
      {},
      ['Schedule', 'Workflow', 'Cron', 'Next (UTC)', 'Last run'].map((name) => h('th', { text: name })),
    )
    const rows = answer.schedules.map((schedule) =>
      h('tr', { 'data-schedule': schedule.name }, [
        h('td', { text: schedule.name }),
        h('td', { text: schedule.workflowName }),
        h('td', {}, [h('code', { text: schedule.cron })]),
        h('td', {}, [schedule.nextAt ? time(schedule.nextAt) : h('span', { class: 'muted', text: 'none' })]),
        h('td', {}, [schedule.lastRunId ? runLink(schedule.lastRunId) : h('span', { class: 'muted', text: 'not yet' })]),
      ]),
    )
    fill(element, [h('h2', { text: 'Schedules' }), h('table', { class: 'runs' }, [h('thead', {}, [head]), h('tbody', {}, rows)])])
  }

  return { element, refresh: () => api<{ schedules: readonly ScheduleJson[] }>('GET', '/api/schedules').then(render) }
}
