/**
 * The actions panel of a run: signal (name and JSON payload), cancel (with a reason) and retry.
 * Each asks for confirmation in the page first — no `window.confirm` — then calls the API with
 * the token. Only the actions the run's status allows are offered: signal and cancel while it
 * is active, retry once it failed; without the token they show, disabled.
 */
export const RUN_ACTIONS_JS = String.raw`'use strict';
Dash.runActions = function (runId, afterChange) {
  var h = Dash.h;
  var base = '/api/runs/' + encodeURIComponent(runId);
  var run = null;
  var confirming = false;

  var lockNote = h('p', { class: 'muted', id: 'actions-locked' });
  var signalName = h('input', { id: 'signal-name', placeholder: 'approved', autocomplete: 'off' });
  // Filled with the signal the run waits for until the user types a name of their own.
  var nameTyped = false;
  signalName.addEventListener('input', function () { nameTyped = true; });
  var signalPayload = h('textarea', { id: 'signal-payload', placeholder: 'null', spellcheck: 'false' });
  var signalButton = h('button', { id: 'signal-button', type: 'button', text: 'Send signal…' });
  var reasonInput = h('input', { id: 'cancel-reason', placeholder: 'optional', maxlength: '1000', autocomplete: 'off' });
  var cancelButton = h('button', { id: 'cancel-button', type: 'button', text: 'Cancel run…' });
  var retryButton = h('button', { id: 'retry-button', type: 'button', text: 'Retry run…' });
  var confirmBox = h('div', { class: 'confirm', id: 'confirm', hidden: true });
  var message = h('p', { class: 'message', id: 'action-message', role: 'status' });

  function say(text, kind) {
    message.textContent = text;
    message.className = 'message' + (kind ? ' ' + kind : '');
  }

  /* Shows the question with a confirm and a back button; confirm runs perform(), which resolves to what to say. */
  function ask(question, confirmLabel, danger, perform) {
    confirming = true;
    update(run);
    say('');
    var yes = h('button', { id: 'confirm-yes', type: 'button', class: danger ? 'danger' : 'primary', text: confirmLabel });
    var back = h('button', { id: 'confirm-no', type: 'button', text: 'Back' });
    var close = function () {
      confirming = false;
      confirmBox.hidden = true;
      confirmBox.replaceChildren();
      update(run);
    };
    back.addEventListener('click', close);
    yes.addEventListener('click', function () {
      yes.disabled = true;
      back.disabled = true;
      perform().then(function (text) {
        close();
        say(text, 'ok');
        afterChange();
      }, function (error) {
        close();
        say(error.message + (error.code ? ' [' + error.code + ']' : ''), 'error');
        if (error.status === 401) Dash.forgetToken();
      });
    });
    Dash.fill(confirmBox, [h('p', { text: question }), yes, back]);
    confirmBox.hidden = false;
    yes.focus();
  }

  signalButton.addEventListener('click', function () {
    var name = signalName.value.trim();
    if (!name) return say("Name the signal: the name of the run's waitForSignal step.", 'error');
    var text = signalPayload.value.trim();
    var payload = null;
    if (text) {
      try { payload = JSON.parse(text); } catch (error) { return say('The payload is not valid JSON: ' + error.message + ' (a string needs quotes: "text")', 'error'); }
    }
    ask('Send signal "' + name + '" to run ' + runId + ' with payload ' + Dash.oneLine(payload, 200) + '?', 'Send signal', false, function () {
      return Dash.api('POST', base + '/signal', { name: name, payload: payload }).then(function () {
        return 'Signal "' + name + '" sent: the run takes it at its waitForSignal step (a signal sent early is kept until then).';
      });
    });
  });

  cancelButton.addEventListener('click', function () {
    var reason = reasonInput.value.trim();
    ask('Cancel run ' + runId + '? A worker stops it at the next step boundary, undoes its finished steps (compensation) and ends it cancelled. This cannot be undone.', 'Yes, cancel the run', true, function () {
      return Dash.api('POST', base + '/cancel', reason ? { reason: reason } : {}).then(function () {
        return 'Cancel requested: a worker of your app stops the run, compensates it and ends it cancelled; this page follows.';
      });
    });
  });

  retryButton.addEventListener('click', function () {
    var step = run && run.error && run.error.step ? ' at step ' + run.error.step : ' at the step that failed';
    ask('Retry run ' + runId + step + ', with a fresh retry budget? Fix the cause first.', 'Yes, retry the run', false, function () {
      return Dash.api('POST', base + '/retry', {}).then(function () {
        return 'Retry requested: a worker that has workflow "' + run.workflowName + '" registered picks it up.';
      });
    });
  });

  /* Offers what the run's status allows, enabled when the token is there too; says why not. */
  function update(next) {
    run = next;
    if (!run) return;
    var token = Dash.token.get();
    var locked = Dash.config.readOnly || !token;
    var active = !Dash.isTerminal(run.status);
    var failed = run.status === 'failed';
    lockNote.textContent = Dash.config.readOnly
      ? 'Read-only dashboard: restart it with DURABLE_DASHBOARD_TOKEN (or --token) set to signal, cancel and retry runs.'
      : !token ? 'Enter the dashboard token at the top right to signal, cancel or retry this run.' : '';
    lockNote.hidden = !lockNote.textContent || (!active && !failed);
    // What the status does not allow is not offered at all.
    signalRow.hidden = !active;
    cancelReason.hidden = !active;
    cancelButton.hidden = !active;
    retryButton.hidden = !failed;
    cancelRow.hidden = !active && !failed;
    noAction.hidden = active || failed;
    noAction.textContent = 'Run ' + run.status + ': no action applies (signal and cancel need an active run, retry a failed one).';
    signalButton.disabled = confirming || locked || !active;
    cancelButton.disabled = confirming || locked || !active;
    retryButton.disabled = confirming || locked || !failed;
    var waiting = run.waitingFor;
    if (waiting && waiting.kind === 'signal' && !nameTyped && document.activeElement !== signalName) signalName.value = waiting.name;
  }

  var signalRow = h('div', { class: 'row', id: 'signal-row' }, [
    h('label', {}, ['Signal name', signalName]),
    h('label', { class: 'grow' }, ['Payload (JSON)', signalPayload]),
    signalButton
  ]);
  var cancelReason = h('label', { class: 'grow' }, ['Cancel reason', reasonInput]);
  var cancelRow = h('div', { class: 'row' }, [cancelReason, cancelButton, retryButton]);
  var noAction = h('p', { class: 'muted', id: 'no-action', hidden: true });
  var element = h('section', { class: 'panel actions', id: 'actions' }, [
    h('h2', { text: 'Actions' }),
    lockNote,
    noAction,
    signalRow,
    cancelRow,
    confirmBox,
    message
  ]);
  return { element: element, update: update };
};
`
