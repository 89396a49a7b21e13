/** The dashboard's styles: one light theme, system fonts, no images. */
export const STYLES_CSS = `
:root {
  --ink: #1c2330; --muted: #5d6778; --line: #e2e6ee; --panel: #ffffff; --page: #f5f7fa;
  --accent: #2f5bd3; --green: #1f8a4c; --red: #c23b30; --amber: #b7791f; --cyan: #1f7a99; --grey: #7a8494;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--page);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.mono, pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; background: #f1f3f7; border-radius: 6px; padding: 8px 10px; max-height: 320px; overflow: auto; }
button, input, select, textarea { font: inherit; }
input, select, textarea { border: 1px solid #c9d0db; border-radius: 6px; padding: 5px 8px; background: #fff; color: var(--ink); }
textarea { width: 100%; min-height: 56px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
button { border: 1px solid #c9d0db; background: #fff; border-radius: 6px; padding: 5px 12px; cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: 0.45; cursor: not-allowed; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { background: var(--red); border-color: var(--red); color: #fff; }

.top { display: flex; align-items: center; gap: 18px; padding: 10px 24px; background: #151b26; color: #e8ecf3; }
.brand { color: #fff; font-weight: 700; font-size: 16px; letter-spacing: 0.2px; }
.brand span { color: #8fa7e6; font-weight: 500; }
.live { font-size: 12px; color: #9fb0c8; }
.live.ok::before { content: "\\25CF  "; color: #4cc38a; }
.live.down { color: #ffb4a8; }
.access { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 12.5px; color: #c8d2e3; }
.access form { display: flex; gap: 6px; }
.access input { width: 190px; padding: 3px 8px; }
.access button { padding: 3px 10px; }

main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 19px; margin: 0; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 16px; }
.muted { color: var(--muted); }
.notice { padding: 10px 14px; border-radius: 8px; background: #fff4f2; border: 1px solid #f3c5bf; color: #8a2a21; margin-bottom: 16px; }
.message { min-height: 1.4em; margin-top: 8px; }
.message.error { color: var(--red); }
.message.ok { color: var(--green); }

.filters { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 14px; }
.filters label { display: flex; gap: 6px; align-items: center; color: var(--muted); }
table.runs { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
table.runs th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.4px; padding: 9px 12px; background: #fafbfd; border-bottom: 1px solid var(--line); }
table.runs td { padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.runs tr:last-child td { border-bottom: 0; }
table.runs td.error { color: var(--red); max-width: 360px; }
table.runs td.waiting { white-space: nowrap; font-size: 12.5px; }
.stats { display: flex; flex-direction: column; gap: 6px; padding: 12px 18px; }
.counts { display: flex; gap: 16px; flex-wrap: wrap; align-items: center; }
.count { display: inline-flex; gap: 6px; align-items: center; color: var(--ink); }
.count .number { font-weight: 700; font-size: 16px; }
.count.total { color: var(--muted); }
.backlog { margin: 0; color: var(--muted); font-size: 12.5px; }
.backlog.behind { color: var(--amber); }
.pager { display: flex; gap: 14px; align-items: center; margin-top: 12px; }

.status { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.status-completed { color: var(--green); }
.status-failed { color: var(--red); }
.status-cancelled, .status-compensating { color: var(--amber); }
.status-running, .status-waiting, .status-pending { color: var(--cyan); }
.status-unknown { color: var(--grey); }

.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 12px 0 0; }
.fields dt { color: var(--muted); }
.fields dd { margin: 0; }
.run-error { color: var(--red); }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; margin-top: 12px; }
.columns pre { max-height: 220px; }
.columns h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.4px; color: var(--muted); margin: 0 0 6px; }

.timeline { list-style: none; margin: 0; padding: 0; }
.timeline li { display: grid; grid-template-columns: 38px minmax(120px, 200px) 190px 74px minmax(180px, 1fr); gap: 10px; align-items: start; padding: 8px 0; border-top: 1px solid var(--line); }
.timeline li.head { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.4px; border-top: 0; padding-top: 0; }
.timeline .seq { color: var(--grey); }
.timeline .step { font-weight: 600; word-break: break-word; }
.timeline li.compensation .step { color: var(--amber); }
.kind { font-size: 12.5px; }
.kind-step_failed, .kind-compensation_failed { color: var(--red); }
.kind-compensated { color: var(--amber); }
.kind-step_completed, .kind-iteration_completed, .kind-child_completed { color: var(--green); }
.track { position: relative; height: 10px; background: #eef1f6; border-radius: 5px; margin-top: 5px; }
.bar { position: absolute; top: 0; height: 10px; border-radius: 5px; background: var(--accent); min-width: 3px; }
li.failed .bar { background: var(--red); }
li.compensation .bar { background: var(--amber); }
.duration { font-size: 12px; color: var(--muted); }
.detail { grid-column: 2 / -1; display: flex; flex-direction: column; gap: 4px; }
.detail:empty { display: none; }
.detail .error-line { color: var(--red); }
.detail summary { cursor: pointer; color: var(--muted); font-size: 12.5px; }
.legend { color: var(--muted); font-size: 12.5px; margin: 0 0 12px; max-width: 880px; }

.actions .row { display: flex; gap: 10px; align-items: flex-end; flex-wrap: wrap; margin-bottom: 12px; }
.actions label { display: flex; flex-direction: column; gap: 3px; color: var(--muted); font-size: 12.5px; }
.actions .grow { flex: 1; min-width: 260px; }
.confirm { border: 1px solid #f0d9a8; background: #fffaf0; border-radius: 8px; padding: 10px 12px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.confirm p { margin: 0; flex-basis: 100%; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } .timeline li { grid-template-columns: 30px 1fr; } .detail { grid-column: 1 / -1; } }
`
