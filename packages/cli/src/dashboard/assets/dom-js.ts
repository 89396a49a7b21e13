/**
 * `Dash`, the helpers the other scripts share: building elements, formatting values, calling the
 * API with the token. Run data reaches the page only as `textContent` and attribute values set
 * here — never through `innerHTML` — so a run's input cannot become markup.
 */
export const DOM_JS = String.raw`'use strict';
var Dash = {
  STATUSES: ['pending', 'running', 'waiting', 'compensating', 'completed', 'failed', 'cancelled'],
  TERMINAL: ['completed', 'failed', 'cancelled'],
  config: { readOnly: true, pollMs: 2000 }
};

/* An element with props (text, class, on: { click: fn }, any attribute) and children (nodes or text). */
Dash.h = function (tag, props, children) {
  var el = document.createElement(tag);
  var all = props || {};
  Object.keys(all).forEach(function (key) {
    var value = all[key];
    if (value === undefined || value === null || value === false) return;
    if (key === 'text') el.textContent = String(value);
    else if (key === 'class') el.className = value;
    else if (key === 'on') Object.keys(value).forEach(function (type) { el.addEventListener(type, value[type]); });
    else if (/^on/i.test(key)) throw new Error('listeners go in on: { ... }, not in attribute ' + key);
    else el.setAttribute(key, value === true ? '' : String(value));
  });
  (children || []).forEach(function (child) {
    if (child === null || child === undefined || child === false) return;
    el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  });
  return el;
};

/* Replaces the children of parent, skipping null, undefined and false. */
Dash.fill = function (parent, children) {
  parent.replaceChildren.apply(parent, children.filter(function (child) { return child !== null && child !== undefined && child !== false; }));
  return parent;
};

Dash.isTerminal = function (status) { return Dash.TERMINAL.indexOf(status) >= 0; };

/* A run id as a link to its page. */
Dash.runLink = function (id) {
  return Dash.h('a', { class: 'mono', href: '#/runs/' + encodeURIComponent(id), text: id });
};

Dash.statusBadge = function (status, id) {
  var known = Dash.STATUSES.indexOf(status) >= 0 ? status : 'unknown';
  return Dash.h('span', { class: 'status status-' + known, id: id, text: status });
};

/* An ISO instant as "2025-11-25 11:47:57" (UTC), the full instant in the tooltip. */
Dash.time = function (iso) {
  return Dash.h('span', { title: iso, text: String(iso).slice(0, 19).replace('T', ' ') });
};

/* Time between two instants, compact and signed, as the CLI prints it: +250ms, +1.5s, +3m04s. */
Dash.elapsed = function (ms) {
  var sign = ms < 0 ? '-' : '+';
  var abs = Math.round(Math.abs(ms));
  var two = function (n) { return String(n).padStart(2, '0'); };
  if (abs < 1000) return sign + abs + 'ms';
  if (abs < 60000) return sign + (abs / 1000).toFixed(1) + 's';
  var seconds = Math.floor(abs / 1000);
  if (seconds < 3600) return sign + Math.floor(seconds / 60) + 'm' + two(seconds % 60) + 's';
  var minutes = Math.floor(seconds / 60);
  if (minutes < 1440) return sign + Math.floor(minutes / 60) + 'h' + two(minutes % 60) + 'm';
  var hours = Math.floor(minutes / 60);
  return sign + Math.floor(hours / 24) + 'd' + two(hours % 24) + 'h';
};

/* A value as one line of JSON, cut to max characters. */
Dash.oneLine = function (value, max) {
  var text = JSON.stringify(value);
  if (text === undefined) text = '';
  return text.length <= max ? text : text.slice(0, max - 1) + '\u2026';
};

/* A value as indented JSON in a <pre>. */
Dash.pre = function (value, id) {
  return Dash.h('pre', { id: id, text: JSON.stringify(value, null, 2) });
};

/* "message [CODE] in step X", as the CLI prints a recorded error. */
Dash.describeError = function (error) {
  return error.message + (error.code ? ' [' + error.code + ']' : '') + (error.step ? ' in step ' + error.step : '');
};

/* An ISO instant to the second, in UTC, as the CLI prints it: 2026-01-08T12:00:00Z. */
Dash.instant = function (iso) {
  return String(iso).slice(0, 19) + 'Z';
};

/* What a waiting run waits for, as the CLI says it: "signal approved until …Z", "timer …Z", "child 01J…". */
Dash.describeWaitingFor = function (waiting) {
  if (!waiting) return '';
  if (waiting.kind === 'signal') return 'signal ' + waiting.name + (waiting.until ? ' until ' + Dash.instant(waiting.until) : '');
  if (waiting.kind === 'timer') return 'timer ' + Dash.instant(waiting.until);
  if (waiting.kind === 'child') return 'child ' + waiting.runId;
  return waiting.kind;
};

/* What a waiting run waits for, with the child run as a link. */
Dash.waitingFor = function (waiting, id) {
  if (waiting && waiting.kind === 'child') return Dash.h('span', { id: id, class: 'waiting-for' }, ['child ', Dash.runLink(waiting.runId)]);
  return Dash.h('span', { id: id, class: 'waiting-for', text: Dash.describeWaitingFor(waiting) });
};

/* The token that unlocks signal, cancel and retry, kept for this tab only. */
Dash.token = {
  KEY: 'durable-dashboard-token',
  get: function () { try { return sessionStorage.getItem(Dash.token.KEY) || ''; } catch (e) { return ''; } },
  set: function (value) { try { sessionStorage.setItem(Dash.token.KEY, value); } catch (e) { /* private mode: kept nowhere */ } },
  clear: function () { try { sessionStorage.removeItem(Dash.token.KEY); } catch (e) { /* nothing kept */ } }
};

/* Calls the API; resolves to the JSON answer, rejects with an Error carrying code and status. */
Dash.api = function (method, path, body) {
  var headers = { accept: 'application/json' };
  var token = Dash.token.get();
  if (method !== 'GET' && token) headers.authorization = 'Bearer ' + token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  var request = { method: method, headers: headers, cache: 'no-store' };
  if (body !== undefined) request.body = JSON.stringify(body);
  return fetch(path, request).then(function (response) {
    return response.json().catch(function () { return null; }).then(function (data) {
      if (response.ok) return data;
      var error = (data && data.error) || { code: 'HTTP_' + response.status, message: 'the dashboard answered ' + response.status };
      var failure = new Error(error.message);
      failure.code = error.code;
      failure.status = response.status;
      throw failure;
    });
  }, function () {
    var failure = new Error('cannot reach the dashboard: is durable dashboard still running?');
    failure.code = 'UNREACHABLE';
    throw failure;
  });
};
`
