/**
 * The logger the runtime writes to: pino-compatible (`logger.warn({ runId }, 'message')`), so a
 * pino or bunyan instance can be passed as is.
 */
export interface Logger {
  debug?(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Default: warnings and errors to stderr, nothing else. */
export const consoleLogger: Logger = {
  info: () => {},
  warn: (obj, msg) => console.warn(`[durable] ${msg ?? ''}`, obj),
  error: (obj, msg) => console.error(`[durable] ${msg ?? ''}`, obj),
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} }
