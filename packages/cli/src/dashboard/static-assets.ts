import { APP_JS, INDEX_HTML, STYLES_CSS } from './generated/client-assets.js'

/** A file of the page. */
export interface StaticAsset {
  readonly contentType: string
  readonly body: string
}

/**
 * The page and its script and styles, by URL path. They are string constants compiled into the
 * package (built from `client/` by `scripts/build-dashboard.mjs`), not files read at run time,
 * so an installed `dist/` serves them as they are.
 */
export const STATIC_ASSETS: ReadonlyMap<string, StaticAsset> = new Map([
  ['/', { contentType: 'text/html; charset=utf-8', body: INDEX_HTML }],
  ['/assets/styles.css', { contentType: 'text/css; charset=utf-8', body: STYLES_CSS }],
  ['/assets/app.js', { contentType: 'text/javascript; charset=utf-8', body: APP_JS }],
])
