import { visibleLength, type Style } from './style.js'

/** Options of {@link formatTable}. */
export interface TableOptions {
  /** Styles the header row (bold on a terminal). */
  readonly style?: Style
  /** Spaces between columns. Default 2. */
  readonly gap?: number
}

/**
 * Lays rows out in aligned columns under a header row, one line each, ending with a newline.
 * Widths ignore colour codes; the last column is not padded, so lines carry no trailing spaces.
 *
 * ### Example
 * ```ts
 * formatTable(['ID', 'STATUS'], [['01J…', 'completed']])
 * // ID    STATUS
 * // 01J…  completed
 * ```
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string {
  const gap = ' '.repeat(options.gap ?? 2)
  const widths = headers.map((header, column) => Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell))))
      .join(gap)
      .trimEnd()
  const bold = options.style?.bold ?? ((text: string) => text)
  return [bold(line(headers)), ...rows.map((row) => line(headers.map((_, column) => row[column] ?? '')))].join('\n') + '\n'
}

/**
 * Lays out `label  value` pairs with the values aligned, one pair a line, ending with a newline.
 *
 * ### Example
 * ```ts
 * formatFields([['status', 'failed'], ['attempts', '4']])
 * // status    failed
 * // attempts  4
 * ```
 */
export function formatFields(fields: ReadonlyArray<readonly [string, string]>, options: { indent?: number; style?: Style } = {}): string {
  const indent = ' '.repeat(options.indent ?? 0)
  const width = Math.max(0, ...fields.map(([label]) => label.length))
  const dim = options.style?.dim ?? ((text: string) => text)
  return fields.map(([label, value]) => `${indent}${dim(label.padEnd(width))}  ${value}`.trimEnd()).join('\n') + '\n'
}
