import { APP_JS } from './assets/app-js.js'
import { DOM_JS } from './assets/dom-js.js'
import { INDEX_HTML } from './assets/index-html.js'
import { RUN_ACTIONS_JS } from './assets/run-actions-js.js'
import { RUN_DETAIL_JS } from './assets/run-detail-js.js'
import { RUNS_LIST_JS } from './assets/runs-list-js.js'
import { SCHEDULES_JS } from './assets/schedules-js.js'
import { STYLES_CSS } from './assets/styles-css.js'

/** A file of the page. */
export interface StaticAsset {
  readonly contentType: string
  readonly body: string
}

const js = (body: string): StaticAsset => ({ contentType: 'text/javascript; charset=utf-8', body })

/**
 * The page and its scripts and styles, by URL path. They are string constants compiled into the
 * package, not files read at run time, so an installed `dist/` serves them as they are.
 */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ['/', { contentType: 'text/html; charset=utf-8', body: INDEX_HTML }],
  ['/assets/styles.css', { contentType: 'text/css; charset=utf-8', body: STYLES_CSS }],
  ['/assets/dom.js', js(DOM_JS)],
  ['/assets/schedules.js', js(SCHEDULES_JS)],
  ['/assets/runs-list.js', js(RUNS_LIST_JS)],
  ['/assets/run-actions.js', js(RUN_ACTIONS_JS)],
  ['/assets/run-detail.js', js(RUN_DETAIL_JS)],
  ['/assets/app.js', js(APP_JS)],
])
