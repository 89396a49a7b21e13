/**
 * The actions panel of a run: signal (name and JSON payload), cancel (with a reason) and retry.
 * Each asks for confirmation in the page first — no `window.confirm` — then calls the API with
 * the token. Only the actions the run's status allows are offered: signal and cancel while it
 * is active, retry once it failed; without the token they show, disabled.
 */
import type { RunJson } from './api-types.ts'
import { api, config, failureOf, fill, h, isTerminal, oneLine, shell, token } from './dom.ts'

export interface RunActions {
  readonly element: HTMLElement
  /** Offers what the run's status allows, enabled when the token is there too; says why not. */
  update(run: RunJson | null): void
}

export function runActions(runId: string, afterChange: () => void): RunActions {
  const base = '/api/runs/' + encodeURIComponent(runId)
  let run: RunJson | null = null
  let confirming = false

  const lockNote = h('p', { class: 'muted', id: 'actions-locked' })
  const signalName = h('input', { id: 'signal-name', placeholder: 'approved', autocomplete: 'off' })
  // Filled with the signal the run waits for until the user types a name of their own.
  let nameTyped = false
  signalName.addEventListener('input', () => {
    nameTyped = true
  })
  const signalPayload = h('textarea', { id: 'signal-payload', placeholder: 'null', spellcheck: 'false' })
  const signalButton = h('button', { id: 'signal-button', type: 'button', text: 'Send signal…' })
  const reasonInput = h('input', { id: 'cancel-reason', placeholder: 'optional', maxlength: '1000', autocomplete: 'off' })
  const cancelButton = h('button', { id: 'cancel-button', type: 'button', text: 'Cancel run…' })
  const retryButton = h('button', { id: 'retry-button', type: 'button', text: 'Retry run…' })
  const confirmBox = h('div', { class: 'confirm', id: 'confirm', hidden: true })
  const message = h('p', { class: 'message', id: 'action-message', role: 'status' })

  const signalRow = h('div', { class: 'row', id: 'signal-row' }, [
    h('label', {}, ['Signal name', signalName]),
    h('label', { class: 'grow' }, ['Payload (JSON)', signalPayload]),
    signalButton,
  ])
  const cancelReason = h('label', { class: 'grow' }, ['Cancel reason', reasonInput])
  const cancelRow = h('div', { class: 'row' }, [cancelReason, cancelButton, retryButton])
  const noAction = h('p', { class: 'muted', id: 'no-action', hidden: true })
  const element = h('section', { class: 'panel actions', id: 'actions' }, [h('h2', { text: 'Actions' }), lockNote, noAction, signalRow, cancelRow, confirmBox, message])

  function say(text: string, kind?: 'ok' | 'error') {
    message.textContent = text
    message.className = 'message' + (kind ? ' ' + kind : '')
  }

  /* Shows the question with a confirm and a back button; confirm runs perform(), which resolves to what to say. */
  function ask(question: string, confirmLabel: string, danger: boolean, perform: () => Promise<string>) {
    confirming = true
    update(run)
    say('')
    const yes = h('button', { id: 'confirm-yes', type: 'button', class: danger ? 'danger' : 'primary', text: confirmLabel })
    const back = h('button', { id: 'confirm-no', type: 'button', text: 'Back' })
    const close = () => {
      confirming = false
      confirmBox.hidden = true
      confirmBox.replaceChildren()
      update(run)
    }
    back.addEventListener('click', close)
    yes.addEventListener('click', () => {
      yes.disabled = true
      back.disabled = true
      perform().then(
        (text) => {
          close()
          say(text, 'ok')
          afterChange()
        },
        (reason: unknown) => {
          const error = failureOf(reason)
          close()
          say(error.message + (error.code ? ' [' + error.code + ']' : ''), 'error')
          if (error.status === 401) shell.forgetToken()
        },
      )
    })
    fill(confirmBox, [h('p', { text: question }), yes, back])
    confirmBox.hidden = false
    yes.focus()
  }

  signalButton.addEventListener('click', () => {
    const name = signalName.value.trim()
    if (!name) return say("Name the signal: the name of the run's waitForSignal step.", 'error')
    const text = signalPayload.value.trim()
    let payload: unknown = null
    if (text) {
      try {
        payload = JSON.parse(text)
      } catch (error) {
        return say('The payload is not valid JSON: ' + (error as Error).message + ' (a string needs quotes: "text")', 'error')
      }
    }
    ask('Send signal "' + name + '" to run ' + runId + ' with payload ' + oneLine(payload, 200) + '?', 'Send signal', false, () =>
      api('POST', base + '/signal', { name, payload }).then(
        () => 'Signal "' + name + '" sent: the run takes it at its waitForSignal step (a signal sent early is kept until then).',
      ),
    )
  })

  cancelButton.addEventListener('click', () => {
    const reason = reasonInput.value.trim()
    ask(
      'Cancel run ' + runId + '? A worker stops it at the next step boundary, undoes its finished steps (compensation) and ends it cancelled. This cannot be undone.',
      'Yes, cancel the run',
      true,
      () =>
        api('POST', base + '/cancel', reason ? { reason } : {}).then(
          () => 'Cancel requested: a worker of your app stops the run, compensates it and ends it cancelled; this page follows.',
        ),
    )
  })

  retryButton.addEventListener('click', () => {
    const step = run?.error?.step ? ' at step ' + run.error.step : ' at the step that failed'
    const workflowName = run?.workflowName
    ask('Retry run ' + runId + step + ', with a fresh retry budget? Fix the cause first.', 'Yes, retry the run', false, () =>
      api('POST', base + '/retry', {}).then(() => 'Retry requested: a worker that has workflow "' + workflowName + '" registered picks it up.'),
    )
  })

  function update(next: RunJson | null) {
    run = next
    if (!run) return
    const bearer = token.get()
    const locked = config.readOnly || !bearer
    const active = !isTerminal(run.status)
    const failed = run.status === 'failed'
    lockNote.textContent = config.readOnly
      ? 'Read-only dashboard: restart it with DURABLE_DASHBOARD_TOKEN (or --token) set to signal, cancel and retry runs.'
      : !bearer
        ? 'Enter the dashboard token at the top right to signal, cancel or retry this run.'
        : ''
    lockNote.hidden = !lockNote.textContent || (!active && !failed)
    // What the status does not allow is not offered at all.
    signalRow.hidden = !active
    cancelReason.hidden = !active
    cancelButton.hidden = !active
    retryButton.hidden = !failed
    cancelRow.hidden = !active && !failed
    noAction.hidden = active || failed
    noAction.textContent = 'Run ' + run.status + ': no action applies (signal and cancel need an active run, retry a failed one).'
    signalButton.disabled = confirming || locked || !active
    cancelButton.disabled = confirming || locked || !active
    retryButton.disabled = confirming || locked || !failed
    const waiting = run.waitingFor
    if (waiting && waiting.kind === 'signal' && !nameTyped && document.activeElement !== signalName) signalName.value = waiting.name
  }

  return { element, update }
}
