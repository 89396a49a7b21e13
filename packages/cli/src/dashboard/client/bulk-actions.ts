/**
 * Bulk actions on the runs list: cancel the active runs, or retry the failed runs, that the
 * filters (workflow, status) match. Offered only on a filtered list, never on every run. Each
 * first counts the runs (a dry run of the API), asks in the page — "Cancel 12 waiting runs of
 * workflow checkout?" — and acts only on confirmation, with the token.
 */
import { api, config, failureOf, fill, h, shell, token } from './dom.ts'
import type { RunsQuery } from './runs-list.ts'

const ACTIVE: readonly string[] = ['pending', 'running', 'waiting', 'compensating']

export interface BulkActions {
  readonly element: HTMLElement
  /** Enables what the filters and the token allow. */
  update(): void
}

export function bulkActions(query: RunsQuery, afterChange: () => void): BulkActions {
  const filtered = query.workflow !== '' || query.status !== ''
  const canCancel = filtered && (query.status === '' || ACTIVE.includes(query.status))
  const canRetry = filtered && (query.status === '' || query.status === 'failed')
  const cancelButton = h('button', { id: 'bulk-cancel', type: 'button', text: 'Cancel matching runs…', hidden: !canCancel })
  const retryButton = h('button', { id: 'bulk-retry', type: 'button', text: 'Retry matching failed runs…', hidden: !canRetry })
  const confirmBox = h('div', { class: 'confirm', id: 'bulk-confirm', hidden: true })
  const message = h('p', { class: 'message', id: 'bulk-message', role: 'status' })
  const note = h('span', { class: 'muted', id: 'bulk-locked' })
  const element = h('div', { class: 'panel bulk', id: 'bulk', hidden: !canCancel && !canRetry }, [
    h('strong', { text: 'Bulk' }),
    cancelButton,
    retryButton,
    note,
    confirmBox,
    message,
  ])
  let busy = false

  const filter = { ...(query.workflow ? { workflow: query.workflow } : {}), ...(query.status ? { status: query.status } : {}) }
  const which = (count: number, status: string): string =>
    count + ' ' + (status ? status + ' ' : '') + (count === 1 ? 'run' : 'runs') + (query.workflow ? ' of workflow "' + query.workflow + '"' : '')

  function say(text: string, kind?: 'ok' | 'error') {
    message.textContent = text
    message.className = 'message' + (kind ? ' ' + kind : '')
  }

  function fail(reason: unknown) {
    const error = failureOf(reason)
    busy = false
    confirmBox.hidden = true
    update()
    say(error.message + (error.code ? ' [' + error.code + ']' : ''), 'error')
    if (error.status === 401) shell.forgetToken()
  }

  /* Counts first, then asks; nothing changes before the confirmation. */
  function start(action: 'cancel' | 'retry') {
    busy = true
    update()
    say('Counting the runs that match…')
    const body = action === 'cancel' ? filter : query.workflow ? { workflow: query.workflow } : {}
    api<{ count: number }>('POST', '/api/bulk/' + action, { ...body, dryRun: true }).then((counted) => {
      say('')
      const status = action === 'retry' ? 'failed' : query.status
      if (counted.count === 0) {
        busy = false
        update()
        return say('No ' + (status ? status + ' ' : action === 'cancel' ? 'active ' : '') + 'run matches: nothing to ' + action + '.')
      }
      const question =
        action === 'cancel'
          ? 'Cancel ' + which(counted.count, status) + '? Workers stop each at its next step boundary, compensate its finished steps and end it cancelled. This cannot be undone.'
          : 'Retry ' + which(counted.count, status) + ' from the steps that failed, each with a fresh retry budget? Fix the cause first.'
      const yes = h('button', {
        id: 'bulk-yes',
        type: 'button',
        class: action === 'cancel' ? 'danger' : 'primary',
        text: 'Yes, ' + action + ' ' + counted.count + (counted.count === 1 ? ' run' : ' runs'),
      })
      const back = h('button', { id: 'bulk-no', type: 'button', text: 'Back' })
      back.addEventListener('click', () => {
        busy = false
        confirmBox.hidden = true
        update()
      })
      yes.addEventListener('click', () => {
        yes.disabled = true
        back.disabled = true
        api<{ count: number }>('POST', '/api/bulk/' + action, body).then((done) => {
          busy = false
          confirmBox.hidden = true
          update()
          say((action === 'cancel' ? 'Cancel requested for ' : 'Retry requested for ') + done.count + (done.count === 1 ? ' run' : ' runs') + ': this list follows.', 'ok')
          afterChange()
        }, fail)
      })
      fill(confirmBox, [h('p', { text: question }), yes, back])
      confirmBox.hidden = false
      yes.focus()
    }, fail)
  }

  cancelButton.addEventListener('click', () => start('cancel'))
  retryButton.addEventListener('click', () => start('retry'))

  function update() {
    const locked = config.readOnly || !token.get()
    cancelButton.disabled = busy || locked
    retryButton.disabled = busy || locked
    note.textContent = config.readOnly ? 'read-only dashboard' : locked ? 'enter the dashboard token to act on these runs' : ''
  }
  update()

  return { element, update }
}
