/**
 * The page's shell: reads the config, routes `#/` (runs) and `#/runs/<id>` (a run), refreshes
 * the current view every `pollMs` while the tab is visible, and holds the token form.
 */
export const APP_JS = String.raw`'use strict';
(function () {
  var h = Dash.h;
  var viewRoot = document.getElementById('view');
  var live = document.getElementById('live');
  var access = document.getElementById('access');
  var current = null;
  var generation = 0;
  var timer = null;

  function routeOf(hash) {
    var text = hash.replace(/^#/, '') || '/';
    var q = text.indexOf('?');
    var path = q >= 0 ? text.slice(0, q) : text;
    var params = new URLSearchParams(q >= 0 ? text.slice(q + 1) : '');
    var run = /^\/runs\/([^/]+)$/.exec(path);
    if (run) return { view: 'run', runId: decodeURIComponent(run[1]) };
    if (path === '/' || path === '') return { view: 'runs', query: { workflow: params.get('workflow') || '', status: params.get('status') || '', cursor: params.get('cursor') || '' } };
    return { view: 'missing', path: path };
  }

  function show() {
    generation += 1;
    clearTimeout(timer);
    var route;
    try { route = routeOf(location.hash); } catch (error) { route = { view: 'missing', path: location.hash }; }
    if (route.view === 'run') current = Dash.runDetailView(route.runId);
    else if (route.view === 'runs') current = Dash.runsListView(route.query);
    else current = { element: h('div', { class: 'notice', text: 'No page here: ' + route.path }), refresh: function () { return Promise.resolve(); }, title: 'Not found' };
    document.title = current.title + ' · durable';
    viewRoot.replaceChildren(current.element);
    tick(generation);
  }

  /* Refreshes the view now, then again pollMs after each refresh ends (never two at once). */
  function tick(mine) {
    if (mine !== generation) return;
    if (document.hidden) {
      live.textContent = 'paused while the tab is hidden';
      live.className = 'live';
      timer = setTimeout(function () { tick(mine); }, Dash.config.pollMs);
      return;
    }
    current.refresh().then(function () {
      if (mine !== generation) return;
      live.textContent = 'live · updated ' + new Date().toLocaleTimeString();
      live.className = 'live ok';
    }, function (error) {
      if (mine !== generation) return;
      live.textContent = error.message + ' (retrying)';
      live.className = 'live down';
    }).then(function () {
      if (mine === generation) timer = setTimeout(function () { tick(mine); }, Dash.config.pollMs);
    });
  }

  /* The token form (or the state of the token) at the top right. */
  function renderAccess() {
    if (Dash.config.readOnly) {
      Dash.fill(access, [h('span', { id: 'access-mode', text: 'read-only' })]);
      return;
    }
    if (Dash.token.get()) {
      Dash.fill(access, [
        h('span', { id: 'access-mode', text: 'actions unlocked' }),
        h('button', { type: 'button', id: 'token-forget', text: 'Forget token', on: { click: function () { Dash.forgetToken(); } } })
      ]);
      return;
    }
    var input = h('input', { type: 'password', id: 'token-input', placeholder: 'dashboard token', autocomplete: 'off', 'aria-label': 'dashboard token' });
    var form = h('form', { id: 'token-form', on: { submit: function (event) {
      event.preventDefault();
      if (!input.value.trim()) return;
      Dash.token.set(input.value.trim());
      renderAccess();
      if (current && current.actions) show();
    } } }, [input, h('button', { type: 'submit', text: 'Unlock actions' })]);
    Dash.fill(access, [h('span', { id: 'access-mode', text: 'read-only until unlocked' }), form]);
  }

  Dash.forgetToken = function () {
    Dash.token.clear();
    renderAccess();
    if (current && current.actions) current.refresh();
  };

  window.addEventListener('hashchange', show);
  Dash.api('GET', '/api/config').then(function (config) {
    Dash.config = config;
  }, function () { /* keep the read-only defaults; the view says what is wrong */ }).then(function () {
    renderAccess();
    show();
  });
})();
`
