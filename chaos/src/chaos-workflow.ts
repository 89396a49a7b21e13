/**
 * The workflow the soak runs, shared by the parent (which starts runs) and the worker processes
 * (which run them). Its steps leave traces the checks count afterwards:
 *
 * - `chaos.executions`: one row per execution of a plain step's handler, written on the worker's
 *   own connection — outside durable's transactions, so a re-run after a crash shows up here;
 * - `chaos.ledger`: one row per commit of the `transactional` step, written through `ctx.tx`;
 * - `chaos.compensations`: one row per execution of a compensator.
 */
import { defineWorkflow, NonRetryableError, type Workflow } from '@durable/core'
import { sql, type Kysely } from 'kysely'

/**
 * Input of a run: its number, whether it fails for good at step `doomed`, and how long the first
 * try of `reserve` takes (`holdMs`: a partition or failover that lands mid-step).
 */
export interface ChaosInput {
  readonly i: number
  readonly doomed: boolean
  readonly holdMs?: number
}

/** Name of the workflow. */
export const CHAOS_WORKFLOW = 'chaos'

/** The steps a completed run has journaled (`step_completed`), in order. */
export const COMPLETED_STEPS = ['reserve', 'book', 'flaky', 'doomed', 'finish'] as const

/** The steps with a compensator, which a failed run undoes in reverse. */
export const COMPENSATED_STEPS = ['reserve', 'book', 'flaky'] as const

/** Plain (non-transactional) steps whose handler executions are counted. */
export const PLAIN_STEPS = ['reserve', 'flaky', 'doomed', 'finish'] as const

/** Whether run number `i` fails for good: deterministic, about one run in seven. */
export function isDoomed(i: number): boolean {
  return i % 7 === 3
}

/** Tables of the traces, in schema `chaos`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function createTraceTables(db: Kysely<any>): Promise<void> {
  await sql`create schema if not exists chaos`.execute(db)
  await sql`create table chaos.executions (id bigserial primary key, run_id text not null, step text not null, attempt int not null, pid int not null)`.execute(db)
  await sql`create table chaos.ledger (id bigserial primary key, run_id text not null, pid int not null)`.execute(db)
  await sql`create table chaos.compensations (id bigserial primary key, run_id text not null, step text not null, attempt int not null, pid int not null)`.execute(db)
}

/**
 * The workflow. `traces` is a connection of the worker's own (not the store's), so that an
 * execution is recorded whatever becomes of the step's commit.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function chaosWorkflow(traces: Kysely<any>): Workflow {
  const executed = (ctx: { runId: string; stepName: string; attempt: number }) =>
    sql`insert into chaos.executions (run_id, step, attempt, pid) values (${ctx.runId}, ${ctx.stepName}, ${ctx.attempt}, ${process.pid})`.execute(traces)
  // Crashes and restarts cost attempts (an expired lease counts as a failed try): leave room,
  // so that every run ends the way its input says.
  const retries = { maxAttempts: 10, backoff: () => 50 }
  const compensated = (step: string) => ({
    ...retries,
    handler: async (ctx: { runId: string; attempt: number }) => {
      await sql`insert into chaos.compensations (run_id, step, attempt, pid) values (${ctx.runId}, ${step}, ${ctx.attempt}, ${process.pid})`.execute(traces)
    },
  })

  return defineWorkflow<ChaosInput>(CHAOS_WORKFLOW)
    .step(
      'reserve',
      async (ctx) => {
        await executed(ctx)
        // Long enough that a kill often lands mid-step.
        const hold = ctx.attempt === 1 && ctx.input.holdMs !== undefined ? ctx.input.holdMs : 20 + (ctx.input.i % 5) * 10
        await new Promise((resolve) => setTimeout(resolve, hold))
        return { reservation: `r-${ctx.input.i}` }
      },
      { ...retries, compensate: compensated('reserve') },
    )
    .step(
      'book',
      async (ctx) => {
        await sql`insert into chaos.ledger (run_id, pid) values (${ctx.runId}, ${process.pid})`.execute(ctx.tx!)
        return { booked: ctx.results.reserve.reservation }
      },
      { ...retries, transactional: true, compensate: compensated('book') },
    )
    .step(
      'flaky',
      async (ctx) => {
        await executed(ctx)
        if (ctx.attempt === 1) throw new Error('flaky: the first try always fails')
        return { tries: ctx.attempt }
      },
      { ...retries, compensate: compensated('flaky') },
    )
    .sleep('pause', 150)
    .step(
      'doomed',
      async (ctx) => {
        await executed(ctx)
        if (ctx.input.doomed) throw new NonRetryableError(`run ${ctx.input.i} is doomed by its input`)
        return 'spared'
      },
      retries,
    )
    .step(
      'finish',
      async (ctx) => {
        await executed(ctx)
        return 'done'
      },
      retries,
    )
}
