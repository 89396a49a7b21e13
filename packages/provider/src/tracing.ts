import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api'
import type { RunRecord } from '@durable/core'
import type { TryOutcome } from './step-runner.js'

/*
 * OpenTelemetry spans through `@opentelemetry/api`: without an SDK registered every call here is
 * a no-op. One `durable.run` span covers a worker's drive of a run (from claim to park or end);
 * each try of a step, branch or compensator is a `durable.step` span inside it, and the handler
 * runs with that span active, so the app's own spans nest under it.
 */

const tracer = trace.getTracer('@durable/provider')

/** Attribute names, after OpenTelemetry's naming rules. */
export const ATTR = {
  runId: 'durable.run.id',
  workflow: 'durable.workflow.name',
  step: 'durable.step.name',
  attempt: 'durable.step.attempt',
  kind: 'durable.step.kind',
  outcome: 'durable.step.outcome',
  errorCode: 'durable.error.code',
  status: 'durable.run.status',
} as const

/** Starts the span of one drive of a run; `end` records where the run stands. */
export function startRunSpan(run: RunRecord): { context: Context; end(status: string): void } {
  const span = tracer.startSpan(`durable.run ${run.workflowName}`, {
    kind: SpanKind.INTERNAL,
    attributes: { [ATTR.runId]: run.id, [ATTR.workflow]: run.workflowName },
  })
  return {
    context: trace.setSpan(context.active(), span),
    end(status) {
      span.setAttribute(ATTR.status, status)
      span.end()
    },
  }
}

/** Runs one try inside a `durable.step` span, child of the run's span, and records its outcome. */
export async function traceTry(
  parent: Context | undefined,
  what: { runId: string; workflowName: string; stepName: string; attempt: number; kind: 'step' | 'compensation' },
  run: () => Promise<TryOutcome>,
): Promise<TryOutcome> {
  const span = tracer.startSpan(
    `durable.${what.kind} ${what.stepName}`,
    { attributes: { [ATTR.runId]: what.runId, [ATTR.workflow]: what.workflowName, [ATTR.step]: what.stepName, [ATTR.attempt]: what.attempt, [ATTR.kind]: what.kind } },
    parent ?? context.active(),
  )
  try {
    const outcome = await context.with(trace.setSpan(parent ?? context.active(), span), run)
    record(span, outcome)
    return outcome
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    throw error
  } finally {
    span.end()
  }
}

function record(span: Span, outcome: TryOutcome): void {
  span.setAttribute(ATTR.outcome, outcome.kind)
  if (outcome.kind !== 'threw') return
  if (outcome.error.code !== undefined) span.setAttribute(ATTR.errorCode, outcome.error.code)
  span.recordException({ name: outcome.error.name, message: outcome.error.message, ...(outcome.error.stack !== undefined ? { stack: outcome.error.stack } : {}) })
  span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message })
}
