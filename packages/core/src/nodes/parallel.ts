import type { StepError } from '../errors.js'
import { append, journal, unchanged } from '../journal-record.js'
import { timerOf, withTimer } from '../node-timer.js'
import { exhaustedBy, leaseExpiredError, nextTry } from '../retry-policy.js'
import type { BranchState, Command, RunState, Transition } from '../run-state.js'
import type { BranchDefinition, ParallelDefinition } from '../workflow-nodes.js'
import type { Flow, NodeEvent, NodeKind } from './node-kind.js'
import { runCompensation, runStep } from './step.js'

/*
 * Branches that run at the same time. Each branch keeps its own attempt and backoff in the
 * run's parallel cursor; the run joins once every branch is journaled. A branch that fails for
 * good sets the run's error ("draining"): branches in flight finish their try, none starts
 * again, and then the completed branches and the steps before are compensated.
 */

type Branches = Readonly<Record<string, BranchState>>
type BranchEvent = Extract<NodeEvent, { type: 'stepCompleted' | 'stepFailed' }>
type CompensationEvent = Extract<NodeEvent, { type: 'compensationCompleted' | 'compensationFailed' }>

export const parallelKind: NodeKind<ParallelDefinition> = {
  enter: (flow, node, state, at, commands) => runBranches(flow, node, state, at, commands),

  on(flow, node, state, event) {
    if (event.type === 'stepCompleted' || event.type === 'stepFailed') return branchTried(flow, node, state, event)
    if (event.type === 'compensationCompleted' || event.type === 'compensationFailed') return branchCompensated(flow, node, state, event)
    return unchanged(state)
  },

  /**
   * Every branch try in flight failed (`LEASE_EXPIRED`, each by its own retry policy), or the
   * branch compensator that ran did. Undefined when nothing ran (a parked node).
   */
  interrupted(flow, node, state, at) {
    // A compensator's backoff: nothing ran.
    if (timerOf(state) !== null) return undefined
    if (state.status === 'compensating') {
      const def = compensatingBranch(node, state)
      if (def === undefined) return undefined
      const error = leaseExpiredError(`attempt ${state.attempt} of the compensator of "${def.key}"`)
      return branchCompensated(flow, node, state, { type: 'compensationFailed', stepKey: def.key, attempt: state.attempt, error, at })
    }
    if (state.status !== 'running') return undefined
    const before = branchesOf(node, state)
    const flying = node.branches.filter((def) => inFlight(before?.[def.branch]))
    // Every branch waits out a backoff or is done: nothing ran, the run is simply woken.
    if (flying.length === 0) return undefined
    // As a replay would: the run is woken first (due branches start), then each failure lands.
    let next = runBranches(flow, node, state, at, [])
    const commands = [...next.commands]
    for (const def of flying) {
      const attempt = before![def.branch]!.attempt
      const error = leaseExpiredError(`attempt ${attempt} of branch "${def.key}"`)
      next = branchTried(flow, node, next.state, { type: 'stepFailed', stepKey: def.key, attempt, error, at })
      commands.push(...next.commands)
    }
    return { state: next.state, commands: stillWanted(next.state, node, commands) }
  },
}

/** Starts the branches that are due (all of them on arrival), or parks, joins or rolls back. */
function runBranches(flow: Flow, node: ParallelDefinition, state: RunState, at: string, commands: Command[]): Transition {
  const branches: Record<string, BranchState> = { ...(branchesOf(node, state) ?? fresh(node)) }
  const runs: Command[] = []
  // Draining after a failure: no new try starts.
  if (state.error === null) {
    for (const def of node.branches) {
      const branch = branches[def.branch]!
      if (branch.outcome !== undefined || (branch.notBefore !== undefined && Date.parse(branch.notBefore) > Date.parse(at))) continue
      branches[def.branch] = due(branch)
      runs.push(runStep(def, branch.attempt))
    }
  }
  return settle(flow, node, withBranches(state, branches), at, [...commands, ...runs])
}

/** A branch's try ended: journal it, retry it by its own policy, or fail the node for good. */
function branchTried(flow: Flow, node: ParallelDefinition, state: RunState, event: BranchEvent): Transition {
  const def = node.branches.find((b) => b.key === event.stepKey)
  const branches = branchesOf(node, state)
  const branch = def === undefined ? undefined : branches?.[def.branch]
  if (state.status !== 'running' || def === undefined || branches === undefined || branch === undefined) return unchanged(state)
  if (branch.outcome !== undefined || branch.attempt !== event.attempt) return unchanged(state)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  if (event.type === 'stepCompleted') {
    const entry = journal(def, 'step_completed', event.attempt, undefined, event.result)
    return settle(flow, node, withBranch(node, counted, def, { ...due(branch), outcome: 'completed' }), event.at, [append(entry)])
  }
  const entry = journal(def, 'step_failed', event.attempt, event.error)
  if (state.error !== null) return settle(flow, node, withBranch(node, counted, def, { ...due(branch), outcome: 'failed' }), event.at, [append(entry)])
  const retry = nextTry(def.retry, event.attempt - (branch.attemptOffset ?? 0), event.error, event.at)
  if (retry.kind === 'again') {
    const next = { ...branch, attempt: branch.attempt + 1 }
    const again: BranchState = retry.notBefore === null ? next : { ...next, notBefore: retry.notBefore }
    const commands = retry.notBefore === null ? [append(entry), runStep(def, again.attempt)] : [append(entry)]
    return settle(flow, node, withBranch(node, counted, def, again), event.at, commands)
  }
  const cause: StepError = exhaustedBy(retry, event.error)
  // Failed for good: branches waiting out a backoff never start again; those in flight finish.
  const stopped: Record<string, BranchState> = {}
  for (const [name, other] of Object.entries(branches)) stopped[name] = other.outcome === undefined && other.notBefore !== undefined ? { ...due(other), outcome: 'stopped' } : other
  stopped[def.branch] = { ...due(branch), outcome: 'failed' }
  const failing: RunState = {
    ...withBranches(counted, stopped),
    error: { message: cause.message, step: def.key, ...(cause.code !== undefined ? { code: cause.code } : {}) },
    failedAt: { step: node.name, attempt: state.attempt },
  }
  return settle(flow, node, failing, event.at, [append(entry)])
}

/** A branch's compensator ended: retry it, or go on with the next compensator. */
function branchCompensated(flow: Flow, node: ParallelDefinition, state: RunState, event: CompensationEvent): Transition {
  const def = compensatingBranch(node, state)
  if (state.status !== 'compensating' || def?.compensation === undefined || def.key !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  if (event.type === 'compensationFailed') {
    const entry = journal(def, 'compensation_failed', state.attempt, event.error)
    const retry = nextTry(def.compensation.retry, state.attempt, event.error, event.at)
    if (retry.kind === 'again') {
      const again: RunState = { ...counted, attempt: state.attempt + 1 }
      if (retry.notBefore === null) return { state: again, commands: [append(entry), runCompensation(def, again.attempt)] }
      return { state: withTimer(again, retry.notBefore), commands: [append(entry), { type: 'scheduleWake', at: retry.notBefore }] }
    }
    // One stuck undo must not leave the others undone: record it and go on.
    return flow.compensateFrom(compensatedOne(counted, def), node.name, [append(entry)])
  }
  return flow.compensateFrom(compensatedOne(counted, def), node.name, [append(journal(def, 'compensated', state.attempt))])
}

/**
 * The branches of `node` still to compensate, next first (reverse definition order): the
 * completed ones of a node that ran only partly, else all of them.
 */
export function branchesToCompensate(node: ParallelDefinition, state: RunState): BranchDefinition[] {
  const partly = branchesOf(node, state)
  return node.branches
    .filter((def) => def.compensation !== undefined && !(state.compensated?.branches ?? []).includes(def.key))
    .filter((def) => partly === undefined || partly[def.branch]?.outcome === 'completed')
    .reverse()
}

/** `retry` of a run that failed in `node`: completed branches stay, the others run again. */
export function retryBranches(flow: Flow, node: ParallelDefinition, state: RunState, before: Branches, at: string, commands: Command[]): Transition {
  const branches: Record<string, BranchState> = {}
  for (const def of node.branches) {
    const prior = before[def.branch]
    if (prior?.outcome === 'completed') {
      branches[def.branch] = prior
      continue
    }
    // A stopped branch's next try never ran: it runs now, with a fresh retry budget.
    const attempt = prior === undefined ? 1 : prior.outcome === 'stopped' ? prior.attempt : prior.attempt + 1
    branches[def.branch] = { attempt, attemptOffset: attempt - 1 }
  }
  return runBranches(flow, node, withBranches(state, branches), at, commands)
}

/** The command that runs the compensator of the branch being compensated. */
export function branchCompensation(node: ParallelDefinition, state: RunState): Command | undefined {
  const def = compensatingBranch(node, state)
  return def === undefined ? undefined : runCompensation(def, state.attempt)
}

/**
 * A cancel ends every branch that has no outcome: tries in flight are abandoned with the lease,
 * and one waiting out a backoff never starts (whether or not a wake-up already cleared its wait).
 */
export function stopBranches(state: RunState): RunState {
  const cursor = state.cursor
  if (cursor?.kind !== 'parallel' || cursor.branches === undefined) return state
  const branches = Object.fromEntries(Object.entries(cursor.branches).map(([name, b]) => [name, b.outcome === undefined ? { ...due(b), outcome: 'stopped' as const } : b]))
  return { ...state, cursor: { ...cursor, branches } }
}

/** True while a parallel branch's try is in flight: the worker running it keeps the run's lease. */
export function triesInFlight(state: RunState): boolean {
  return state.status === 'running' && state.cursor?.kind === 'parallel' && Object.values(state.cursor.branches ?? {}).some(inFlight)
}

/** After every try ended: wait for those in flight, park until a backoff ends, roll back, or join. */
function settle(flow: Flow, node: ParallelDefinition, state: RunState, at: string, commands: Command[]): Transition {
  const branches = branchesOf(node, state)!
  const all = Object.values(branches)
  if (all.some(inFlight)) return { state, commands }
  if (state.error !== null) {
    // The node's final branches go with the failure: a `retry` keeps the completed ones.
    const failed = state.failedAt === undefined ? state : { ...state, failedAt: { ...state.failedAt, cursor: { kind: 'parallel' as const, branches } } }
    return flow.compensateFrom(failed, node.name, commands)
  }
  // Each waiting branch keeps its own backoff; the run is woken for the first to end.
  const waiting = all.filter((b) => b.outcome === undefined).map((b) => b.notBefore!)
  if (waiting.length > 0) {
    const wake = waiting.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b))
    return { state, commands: [...commands, { type: 'scheduleWake', at: wake }] }
  }
  return flow.next(state, at, commands)
}

/** The node's branch states while the run is at it; undefined when it has none (not there, or it finished). */
function branchesOf(node: ParallelDefinition, state: RunState): Branches | undefined {
  return state.step === node.name && state.cursor?.kind === 'parallel' ? state.cursor.branches : undefined
}

function fresh(node: ParallelDefinition): Branches {
  return Object.fromEntries(node.branches.map((def) => [def.branch, { attempt: 1 }]))
}

function compensatingBranch(node: ParallelDefinition, state: RunState): BranchDefinition | undefined {
  const branch = state.step === node.name && state.cursor?.kind === 'parallel' ? state.cursor.compensating : undefined
  return branch === undefined ? undefined : node.branches.find((b) => b.branch === branch)
}

/** Keeps one `runStep` per branch, and only for tries still in flight at the end. */
function stillWanted(state: RunState, node: ParallelDefinition, commands: Command[]): Command[] {
  const seen = new Set<string>()
  const branches = branchesOf(node, state)
  return commands.filter((command) => {
    if (command.type !== 'runStep') return true
    const def = node.branches.find((b) => b.key === command.stepKey)
    const branch = def === undefined ? undefined : branches?.[def.branch]
    const id = `${command.stepKey}@${command.attempt}`
    if (!inFlight(branch) || branch!.attempt !== command.attempt || seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function inFlight(branch: BranchState | undefined): boolean {
  return branch !== undefined && branch.outcome === undefined && branch.notBefore === undefined
}

/** The branch with no backoff to wait out: due now, or done. */
function due(branch: BranchState): BranchState {
  const { notBefore: _, ...rest } = branch
  return rest
}

function withBranches(state: RunState, branches: Branches): RunState {
  return { ...state, cursor: { kind: 'parallel', branches } }
}

function withBranch(node: ParallelDefinition, state: RunState, def: BranchDefinition, branch: BranchState): RunState {
  return withBranches(state, { ...branchesOf(node, state), [def.branch]: branch })
}

function compensatedOne(state: RunState, def: BranchDefinition): RunState {
  const cursor = state.cursor?.kind === 'parallel' ? { kind: 'parallel' as const, ...(state.cursor.branches !== undefined ? { branches: state.cursor.branches } : {}) } : undefined
  return { ...state, ...(cursor !== undefined ? { cursor } : {}), compensated: { ...state.compensated, branches: [...(state.compensated?.branches ?? []), def.key] } }
}
