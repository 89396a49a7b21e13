import { AsyncLocalStorage } from 'node:async_hooks'
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { defineWorkflow } from '@durable/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, type Harness } from './harness.ts'

/** The smallest async context manager, so the app's spans inside a handler nest under the step's. */
class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>()
  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.#storage.run(ctx, () => fn.call(thisArg, ...args))
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    return this
  }
}

const exporter = new InMemorySpanExporter()
let flaky = 0
const traced = defineWorkflow<{ orderId: string }>('traced')
  .step(
    'charge',
    async () => {
      // The app's own span, made inside the handler.
      trace.getTracer('app').startSpan('card-api').end()
      if (++flaky === 1) throw new Error('card api timeout')
      return 'charged'
    },
    { backoff: () => 0 },
  )
  .parallel('notify', { email: async () => 'mailed', sms: async () => 'texted' })

describe('OpenTelemetry spans', () => {
  let h: Harness
  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncContextManager())
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
    h = await backends[0]![1]([traced])
  })
  afterAll(async () => {
    await h.close()
    trace.disable()
    context.disable()
  })

  it('makes a run span with a child span per try, carrying run id, workflow, step and attempt', async () => {
    const runId = await h.durable.start(traced, { orderId: 'o-1' })
    expect((await h.durable.waitFor(runId, { timeout: '20s' })).status).toBe('completed')
    // The run's span ends when the worker is done with it, a moment after waitFor saw the end.
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === 'durable.run traced' && s.attributes['durable.run.status'] === 'completed')).toBe(true)
    const spans = exporter.getFinishedSpans().filter((s) => s.attributes['durable.run.id'] === runId || s.name === 'card-api')
    const runs = spans.filter((s) => s.name === 'durable.run traced')
    expect(runs.length).toBeGreaterThanOrEqual(1)
    expect(runs.at(-1)!.attributes).toMatchObject({ 'durable.workflow.name': 'traced', 'durable.run.status': 'completed' })
    const steps = spans.filter((s) => s.name.startsWith('durable.step '))
    const describeSpan = (s: ReadableSpan) => `${s.attributes['durable.step.name']}#${s.attributes['durable.step.attempt']}:${s.attributes['durable.step.outcome']}`
    expect(steps.map(describeSpan).sort()).toEqual(['charge#1:threw', 'charge#2:returned', 'notify.email#1:returned', 'notify.sms#1:returned'])
    const runSpanIds = new Set(runs.map((s) => s.spanContext().spanId))
    for (const step of steps) {
      expect(runSpanIds.has(step.parentSpanContext!.spanId)).toBe(true)
      expect(step.spanContext().traceId).toBe(runs.find((r) => r.spanContext().spanId === step.parentSpanContext!.spanId)!.spanContext().traceId)
    }
    const failed = steps.find((s) => describeSpan(s) === 'charge#1:threw')!
    expect(failed.status).toMatchObject({ code: 2, message: 'card api timeout' })
    expect(failed.events.map((e) => e.name)).toContain('exception')
    // The handler's own spans are children of the step's span.
    const app = spans.filter((s) => s.name === 'card-api')
    const chargeIds = new Set(steps.filter((s) => s.attributes['durable.step.name'] === 'charge').map((s) => s.spanContext().spanId))
    expect(app.length).toBeGreaterThanOrEqual(2)
    for (const span of app.slice(-2)) expect(chargeIds.has(span.parentSpanContext!.spanId)).toBe(true)
  })
})

const waits = defineWorkflow('waits').waitForSignal('go')
const quick = defineWorkflow('quick').step('one', async () => 1)

describe.each(backends)('durable.stats() on %s', (_name, makeHarness) => {
  let h: Harness
  beforeAll(async () => {
    h = await makeHarness([waits, quick], { worker: false })
  })
  afterAll(async () => h.close())

  it('counts runs by status and measures the backlog no worker has taken', async () => {
    expect(await h.durable.stats()).toEqual({
      byStatus: { pending: 0, running: 0, waiting: 0, compensating: 0, completed: 0, failed: 0, cancelled: 0 },
      total: 0,
      due: 0,
      dueLagMs: 0,
      leased: 0,
    })
    const queued = await Promise.all([1, 2, 3].map(() => h.durable.start(quick)))
    await h.durable.cancel(queued[2]!)
    const waiting = await h.durable.start(waits)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const backlog = await h.durable.stats()
    expect(backlog).toMatchObject({ byStatus: { pending: 4, completed: 0 }, total: 4, due: 4, leased: 0 })
    expect(backlog.dueLagMs).toBeGreaterThanOrEqual(40)

    await h.worker.start()
    await Promise.all(queued.map((id) => h.durable.waitFor(id, { timeout: '20s' })))
    await expect.poll(async () => (await h.durable.find(waiting)).status, { timeout: 10_000 }).toBe('waiting')
    const drained = await h.durable.stats()
    expect(drained).toMatchObject({ byStatus: { pending: 0, waiting: 1, completed: 2, cancelled: 1 }, total: 4, due: 0, dueLagMs: 0 })
  })
})
