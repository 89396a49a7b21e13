import { DurableError, isDurableError, toStepError, type StepContext, type StepError, type StepHandler } from '@durable/core'

/** How one try of a handler ended. `aborted` means this worker must not record anything. */
export type TryOutcome = { readonly kind: 'returned'; readonly value: unknown } | { readonly kind: 'threw'; readonly error: StepError } | { readonly kind: 'aborted' }

const MAX_MESSAGE = 8_000
const MAX_STACK = 16_000

/**
 * Runs one try of a handler. The try ends when the handler settles, when `timeoutMs` passes
 * (a failed try with `STEP_TIMEOUT`), or when `stop` aborts (lease lost, worker stopping): then
 * the handler's eventual result is ignored, because another worker may already own the run.
 */
export async function runTry(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the handler of any workflow's step
  handler: StepHandler<any, any, unknown>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- and its context
  ctx: Omit<StepContext<any, any>, 'signal'>,
  timeoutMs: number | undefined,
  stop: AbortSignal,
): Promise<TryOutcome> {
  if (stop.aborted) return { kind: 'aborted' }
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let onStop: (() => void) | undefined
  const ended = new Promise<TryOutcome>((resolve) => {
    onStop = () => {
      controller.abort(stop.reason)
      resolve({ kind: 'aborted' })
    }
    stop.addEventListener('abort', onStop, { once: true })
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const error = new DurableError('STEP_TIMEOUT', `step "${ctx.stepName}" of run "${ctx.runId}" timed out after ${timeoutMs} ms (attempt ${ctx.attempt})`)
        controller.abort(error)
        resolve({ kind: 'threw', error: toStepError(error) })
      }, timeoutMs)
    }
  })
  const settled = (async (): Promise<TryOutcome> => {
    try {
      return { kind: 'returned', value: await handler({ ...ctx, signal: controller.signal }) }
    } catch (thrown) {
      return { kind: 'threw', error: cleanError(toStepError(thrown)) }
    }
  })()
  try {
    return await Promise.race([settled, ended])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    if (onStop !== undefined) stop.removeEventListener('abort', onStop)
  }
}

/** Makes an error safe to store as JSON: no `\u0000`, no lone surrogates, bounded length. */
export function cleanError(error: StepError): StepError {
  return {
    ...error,
    name: cleanText(error.name, 200),
    message: cleanText(error.message, MAX_MESSAGE),
    ...(error.code !== undefined ? { code: cleanText(error.code, 200) } : {}),
    ...(error.stack !== undefined ? { stack: cleanText(error.stack, MAX_STACK) } : {}),
  }
}

function cleanText(text: string, max: number): string {
  const clean = text.replaceAll('\u0000', '\\u0000').toWellFormed()
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

/**
 * A failure of durable's own making (a bad value, a refused payload) as journal data. Those are
 * final, except a database outage (`STORE_UNAVAILABLE`): the next try may well get through.
 */
export function stepErrorOf(error: unknown): StepError {
  const message = error instanceof Error ? error.message : String(error)
  const code = isDurableError(error) ? error.code : undefined
  return { name: error instanceof Error ? error.name : 'Error', message, ...(code !== undefined ? { code } : {}), retryable: code === undefined || code === 'STORE_UNAVAILABLE' }
}
