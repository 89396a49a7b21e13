/** Terminal styling: ANSI colours when writing to a terminal, plain text otherwise. */
export interface Style {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`

const colours: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
}

const identity = (text: string) => text
const plain: Style = { bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity }

/** The colours when `enabled`, else a style that returns text unchanged. */
export function createStyle(enabled: boolean): Style {
  return enabled ? colours : plain
}

/** Colours a run status: green done, red failed, yellow on its way back, cyan in progress. */
export function styleStatus(style: Style, status: string): string {
  switch (status) {
    case 'completed':
      return style.green(status)
    case 'failed':
      return style.red(status)
    case 'compensating':
    case 'cancelled':
      return style.yellow(status)
    default:
      return style.cyan(status)
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

/** Length of `text` as a terminal shows it: escape codes take no room. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length
}
