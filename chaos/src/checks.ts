/**
 * What a soak must end with — the guarantees of docs/guarantees.md, checked in SQL over the
 * store's tables and the workflow's traces. Invariants only: none depends on timing.
 */
import type pg from 'pg'
import { COMPENSATED_STEPS, COMPLETED_STEPS, PLAIN_STEPS } from './chaos-workflow.js'

/** One invariant and whether it held; `detail` shows the first offenders. */
export interface Check {
  readonly name: string
  readonly ok: boolean
  readonly detail: string
}

/** What the soak itself observed, next to what is in the database. */
export interface Observed {
  readonly runs: number
  readonly runIds: ReadonlyArray<string | undefined>
  readonly startFailures: readonly string[]
  readonly unexpectedExits: readonly string[]
  /** Everything the workers logged and every error start() threw: none may hold `secret`. */
  readonly texts: readonly string[]
  readonly secret: string
}

const TERMINAL = `('completed', 'failed', 'cancelled')`

/** Runs every check; resolves with all of them (never throws on a violation). */
export async function checkInvariants(db: pg.Pool, seen: Observed): Promise<Check[]> {
  const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await db.query<R>(text, values)).rows
  const ids = seen.runIds.filter((id): id is string => id !== undefined)
  const checks: Check[] = []
  const add = (name: string, offenders: unknown[], detail = '') =>
    checks.push({ name, ok: offenders.length === 0, detail: offenders.length === 0 ? detail : `${offenders.length} offender(s): ${JSON.stringify(offenders.slice(0, 5))}` })

  const [{ n: inStore }] = (await q<{ n: number }>('SELECT count(*)::int AS n FROM durable.runs')) as [{ n: number }]
  const missing = await q('SELECT id FROM unnest($1::text[]) AS started(id) WHERE id NOT IN (SELECT id FROM durable.runs)', [ids])
  const lost = [
    ...(ids.length === seen.runs ? [] : [`${seen.runs - ids.length} start(s) returned no id`]),
    ...(inStore === seen.runs ? [] : [`${inStore} runs in the store`]),
    ...missing,
  ]
  add('every run started is in the store, exactly once (idempotent retried starts)', lost, `${seen.runs} started, ${inStore} in the store`)

  add('every run ended: none lost, none stuck', await q(`SELECT id, status, lease_owner, due_at FROM durable.runs WHERE status NOT IN ${TERMINAL} ORDER BY id`))
  add(
    'each step is journaled at most once per run (step_completed, compensated, timer_fired)',
    await q(`SELECT run_id, step_key, kind, count(*)::int AS n FROM durable.journal
      WHERE kind IN ('step_completed', 'compensated', 'timer_fired') GROUP BY run_id, step_key, kind HAVING count(*) > 1`),
  )
  add(
    'each run’s journal is numbered 1…n without gaps (order by sequence, not clock)',
    await q('SELECT run_id FROM durable.journal GROUP BY run_id HAVING min(seq) <> 1 OR max(seq) <> count(*)'),
  )
  add(
    'the transactional step’s write committed exactly once per journaled completion',
    await q(`SELECT r.id,
        (SELECT count(*)::int FROM chaos.ledger l WHERE l.run_id = r.id) AS ledger,
        (SELECT count(*)::int FROM durable.journal j WHERE j.run_id = r.id AND j.step_key = 'book' AND j.kind = 'step_completed') AS journaled
      FROM durable.runs r
      WHERE (SELECT count(*) FROM chaos.ledger l WHERE l.run_id = r.id)
         <> (SELECT count(*) FROM durable.journal j WHERE j.run_id = r.id AND j.step_key = 'book' AND j.kind = 'step_completed')`),
  )
  add(
    'no completed run is missing a step',
    await q(
      `SELECT r.id FROM durable.runs r WHERE r.status = 'completed' AND (
        (SELECT count(DISTINCT step_key) FROM durable.journal j WHERE j.run_id = r.id AND j.kind = 'step_completed' AND j.step_key = ANY($1)) <> $2
        OR NOT EXISTS (SELECT 1 FROM durable.journal j WHERE j.run_id = r.id AND j.kind = 'timer_fired' AND j.step_key = 'pause'))`,
      [COMPLETED_STEPS, COMPLETED_STEPS.length],
    ),
  )
  add(
    'every run ends as its input says: doomed ones failed at step "doomed", the others completed',
    await q(`SELECT id, status, error FROM durable.runs WHERE
      CASE WHEN (input->>'doomed')::boolean THEN NOT (status = 'failed' AND error->>'step' = 'doomed') ELSE status <> 'completed' END`),
  )
  add(
    'a failed run compensated each completed step exactly once, and nothing else',
    await q(
      `SELECT r.id, s.step,
          (SELECT count(*)::int FROM durable.journal j WHERE j.run_id = r.id AND j.step_key = s.step AND j.kind = 'step_completed') AS completed,
          (SELECT count(*)::int FROM durable.journal j WHERE j.run_id = r.id AND j.step_key = s.step AND j.kind = 'compensated') AS compensated
        FROM durable.runs r CROSS JOIN unnest($1::text[]) AS s(step)
        WHERE (r.status = 'failed' AND
                (SELECT count(*) FROM durable.journal j WHERE j.run_id = r.id AND j.step_key = s.step AND j.kind = 'compensated')
             <> (SELECT count(*) FROM durable.journal j WHERE j.run_id = r.id AND j.step_key = s.step AND j.kind = 'step_completed'))
           OR (r.status = 'completed' AND EXISTS (SELECT 1 FROM durable.journal j WHERE j.run_id = r.id AND j.kind = 'compensated'))`,
      [COMPENSATED_STEPS],
    ),
  )
  add(
    'every journaled completion and compensation came from a real execution of that attempt',
    await q(
      `SELECT j.run_id, j.step_key, j.kind, j.attempt FROM durable.journal j
        WHERE (j.kind = 'step_completed' AND j.step_key = ANY($1) AND NOT EXISTS (
                SELECT 1 FROM chaos.executions e WHERE e.run_id = j.run_id AND e.step = j.step_key AND e.attempt = j.attempt))
           OR (j.kind = 'compensated' AND NOT EXISTS (
                SELECT 1 FROM chaos.compensations c WHERE c.run_id = j.run_id AND c.step = j.step_key AND c.attempt = j.attempt))`,
      [PLAIN_STEPS],
    ),
  )
  add(
    'no compensator ran for a run that completed',
    await q(`SELECT c.run_id, c.step FROM chaos.compensations c JOIN durable.runs r ON r.id = c.run_id WHERE r.status = 'completed'`),
  )
  add('no worker process crashed', [...seen.unexpectedExits])
  add('start() failed only with STORE_UNAVAILABLE during outages, and always went through in the end', [...seen.startFailures])
  add(
    'no secret (the database password) in any error or log line',
    seen.texts.filter((text) => text.includes(seen.secret)).map((text) => text.slice(0, 300)),
    `${seen.texts.length} lines and errors searched`,
  )
  return checks
}
