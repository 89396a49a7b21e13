import { Logger } from 'graphile-worker'

/** Where the adapter reports trouble it recovers from (pino and console fit). */
export interface QueueLogger {
  warn(obj: unknown, msg?: string): void
}

/** Writes warnings to stderr: the default when no `logger` is given. */
const stderrLogger: QueueLogger = {
  warn: (obj, msg) => console.warn(`[durable graphile-worker] ${msg ?? ''}`, obj),
}

/**
 * Graphile Worker's logger, forwarding its errors and warnings to `logger.warn` and dropping
 * its info and debug lines ("Worker connected and looking for jobs…", one per completed job).
 *
 * @internal
 */
export function graphileLogger(logger: QueueLogger = stderrLogger): Logger {
  return new Logger((scope) => (level, message, meta) => {
    // LogLevel is a const enum of strings; compare as strings under isolatedModules.
    const name = level as string
    if (name === 'error' || name === 'warning') logger.warn({ ...scope, ...meta, level: name }, `graphile-worker: ${message}`)
  })
}

/** The logger given, or the stderr default. @internal */
export function queueLogger(logger: QueueLogger | undefined): QueueLogger {
  return logger ?? stderrLogger
}
