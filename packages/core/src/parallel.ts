import type { StepError } from './errors.js'
import type { BranchState, Command, RunEvent, RunState, Transition } from './run-state.js'
import { advance, append, compensateBefore, continueAt, journal, leaseExpiredError, nextTry, unchanged } from './transition.js'
import type { BranchDefinition, ParallelDefinition, Workflow } from './workflow.js'

/*
 * The pure transitions of a `parallel` node. Each branch keeps its own attempt and backoff in
 * `state.parallel`; the run joins once every branch is journaled. A branch that fails for good
 * sets the run's error ("draining"): branches in flight finish their try, none starts again, and
 * then the completed branches and the steps before are compensated.
 */

type Branches = Readonly<Record<string, BranchState>>
type BranchEvent = Extract<RunEvent, { type: 'stepCompleted' | 'stepFailed' }>
type CompensationEvent = Extract<RunEvent, { type: 'compensationCompleted' | 'compensationFailed' }>

/** Starts the branches that are due (all of them on arrival), or parks, joins or rolls back. */
export function runBranches(workflow: Workflow, state: RunState, node: ParallelDefinition, at: string, commands: Command[]): Transition {
  const branches: Record<string, BranchState> = { ...branchesAt(node, state) }
  const runs: Command[] = []
  // Draining after a failure: no new try starts.
  if (state.error === null) {
    for (const def of node.branches) {
      const branch = branches[def.branch]!
      if (branch.outcome !== undefined || (branch.dueAt !== null && Date.parse(branch.dueAt) > Date.parse(at))) continue
      branches[def.branch] = { ...branch, dueAt: null }
      runs.push(runBranch(def, branch.attempt))
    }
  }
  return settle(workflow, withBranches(state, branches), at, [...commands, ...runs])
}

/** A branch's try ended. Anything not about a branch in flight at this attempt changes nothing. */
export function branchTried(workflow: Workflow, state: RunState, node: ParallelDefinition, event: BranchEvent): Transition {
  const def = node.branches.find((b) => b.key === event.stepKey)
  const branches = state.parallel?.position === state.position ? state.parallel.branches : undefined
  const branch = def === undefined ? undefined : branches?.[def.branch]
  if (state.status !== 'running' || def === undefined || branches === undefined || branch === undefined) return unchanged(state)
  if (branch.outcome !== undefined || branch.attempt !== event.attempt) return unchanged(state)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  if (event.type === 'stepCompleted') {
    const entry = journal(def, 'step_completed', event.attempt, undefined, event.result)
    return settle(workflow, withBranch(counted, def, { ...branch, dueAt: null, outcome: 'completed' }), event.at, [append(entry)])
  }
  const entry = journal(def, 'step_failed', event.attempt, event.error)
  if (state.error !== null) return settle(workflow, withBranch(counted, def, { ...branch, dueAt: null, outcome: 'failed' }), event.at, [append(entry)])
  const retry = nextTry(def.retry, event.attempt - (branch.attemptOffset ?? 0), event.error, event.at)
  if (retry.kind === 'again') {
    const again: BranchState = { ...branch, attempt: branch.attempt + 1, dueAt: retry.dueAt }
    const commands = retry.dueAt === null ? [append(entry), runBranch(def, again.attempt)] : [append(entry)]
    return settle(workflow, withBranch(counted, def, again), event.at, commands)
  }
  const cause: StepError = retry.kind === 'invalidBackoff' ? { ...event.error, message: retry.message, code: 'INVALID_DEFINITION' } : event.error
  // Failed for good: branches waiting out a backoff never start again; those in flight finish.
  const stopped: Record<string, BranchState> = {}
  for (const [name, other] of Object.entries(branches)) stopped[name] = other.outcome === undefined && other.dueAt !== null ? { ...other, outcome: 'stopped' } : other
  stopped[def.branch] = { ...branch, dueAt: null, outcome: 'failed' }
  const failing: RunState = {
    ...withBranches(counted, stopped),
    error: { message: cause.message, step: def.key, ...(cause.code !== undefined ? { code: cause.code } : {}) },
    failedAt: { position: state.position, attempt: state.attempt },
  }
  return settle(workflow, failing, event.at, [append(entry)])
}

/**
 * The worker died at a parallel node: every branch try in flight failed (`LEASE_EXPIRED`, each by
 * its own retry policy), or the branch compensator that ran did. Undefined when nothing ran (a
 * parked node): the run is simply woken.
 */
export function parallelInterrupted(workflow: Workflow, state: RunState, node: ParallelDefinition, at: string): Transition | undefined {
  if (state.dueAt !== null) return undefined
  if (state.status === 'compensating') {
    const def = node.branches.find((b) => b.branch === state.branch)
    if (def === undefined) return undefined
    const error = leaseExpiredError(`attempt ${state.attempt} of the compensator of "${def.key}"`)
    return branchCompensated(workflow, state, node, { type: 'compensationFailed', stepKey: def.key, attempt: state.attempt, error, at })
  }
  if (state.status !== 'running') return undefined
  const flying = node.branches.filter((def) => inFlight(state.parallel?.branches[def.branch]))
  // As a replay would: the run is woken first (due branches start), then each failure lands.
  let next = runBranches(workflow, state, node, at, [])
  const commands = [...next.commands]
  for (const def of flying) {
    const attempt = state.parallel!.branches[def.branch]!.attempt
    const error = leaseExpiredError(`attempt ${attempt} of branch "${def.key}"`)
    next = branchTried(workflow, next.state, node, { type: 'stepFailed', stepKey: def.key, attempt, error, at })
    commands.push(...next.commands)
  }
  return { state: next.state, commands: stillWanted(next.state, node, commands) }
}

/** A branch's compensator ended: retry it, or go on with the next compensator. */
export function branchCompensated(workflow: Workflow, state: RunState, node: ParallelDefinition, event: CompensationEvent): Transition {
  const def = node.branches.find((b) => b.branch === state.branch)
  if (state.status !== 'compensating' || def?.compensation === undefined || def.key !== event.stepKey || event.attempt !== state.attempt) return unchanged(state)
  const counted: RunState = { ...state, attempts: state.attempts + 1 }
  if (event.type === 'compensationFailed') {
    const entry = journal(def, 'compensation_failed', state.attempt, event.error)
    const retry = nextTry(def.compensation.retry, state.attempt, event.error, event.at)
    if (retry.kind === 'again') {
      const again: RunState = { ...counted, attempt: state.attempt + 1, dueAt: retry.dueAt }
      const next: Command = retry.dueAt === null ? compensateBranch(def, again.attempt) : { type: 'scheduleWake', at: retry.dueAt }
      return { state: again, commands: [append(entry), next] }
    }
    // One stuck undo must not leave the others undone: record it and go on.
    return compensateFrom(workflow, compensatedOne(counted, def), state.position, [append(entry)])
  }
  return compensateFrom(workflow, compensatedOne(counted, def), state.position, [append(journal(def, 'compensated', state.attempt))])
}

/** Rolls back from the node at `position` down: a parallel node's own branches first. */
export function compensateFrom(workflow: Workflow, state: RunState, position: number, commands: Command[]): Transition {
  const node = workflow.steps[position]
  const next = node?.kind === 'parallel' ? branchesToCompensate(node, position, state)[0] : undefined
  if (next === undefined) return compensateBefore(workflow, state, position, commands)
  return { state: { ...state, status: 'compensating', position, attempt: 1, dueAt: null, branch: next.branch }, commands: [...commands, compensateBranch(next, 1)] }
}

/**
 * The branches of the parallel node at `position` still to compensate, next first (reverse
 * definition order): the completed ones of a node that ran only partly, else all of them.
 */
export function branchesToCompensate(node: ParallelDefinition, position: number, state: RunState): BranchDefinition[] {
  const partly = state.parallel?.position === position ? state.parallel.branches : undefined
  return node.branches
    .filter((def) => def.compensation !== undefined && !(state.compensatedBranches ?? []).includes(def.key))
    .filter((def) => partly === undefined || partly[def.branch]?.outcome === 'completed')
    .reverse()
}

/** `retry` of a run that failed in a parallel node: completed branches stay, the others run again. */
export function retryBranches(workflow: Workflow, state: RunState, node: ParallelDefinition, at: string, commands: Command[]): Transition {
  const before = state.parallel?.position === state.position ? state.parallel.branches : {}
  const branches: Record<string, BranchState> = {}
  for (const def of node.branches) {
    const prior = before[def.branch]
    if (prior?.outcome === 'completed') {
      branches[def.branch] = prior
      continue
    }
    // A stopped branch's next try never ran: it runs now, with a fresh retry budget.
    const attempt = prior === undefined ? 1 : prior.outcome === 'stopped' ? prior.attempt : prior.attempt + 1
    branches[def.branch] = { attempt, dueAt: null, attemptOffset: attempt - 1 }
  }
  return runBranches(workflow, withBranches(state, branches), node, at, commands)
}

/** The command that runs the compensator of the branch being compensated. */
export function branchCompensation(node: ParallelDefinition, state: RunState): Command | undefined {
  const def = node.branches.find((b) => b.branch === state.branch)
  return def === undefined ? undefined : compensateBranch(def, state.attempt)
}

/**
 * A cancel ends every branch that has no outcome: tries in flight are abandoned with the lease,
 * and one waiting out a backoff never starts (whether or not a wake-up already cleared its wait).
 */
export function stopBranches(state: RunState): RunState {
  if (state.parallel === undefined) return state
  const branches = Object.fromEntries(Object.entries(state.parallel.branches).map(([name, b]) => [name, b.outcome === undefined ? { ...b, dueAt: null, outcome: 'stopped' as const } : b]))
  return { ...state, parallel: { ...state.parallel, branches } }
}

/** True while a parallel branch's try is in flight: the worker running it keeps the run's lease. */
export function triesInFlight(state: RunState): boolean {
  return state.status === 'running' && state.parallel?.position === state.position && Object.values(state.parallel.branches).some(inFlight)
}

/** After every try ended: wait for those in flight, park until a backoff ends, roll back, or join. */
function settle(workflow: Workflow, state: RunState, at: string, commands: Command[]): Transition {
  const branches = Object.values(state.parallel!.branches)
  if (branches.some(inFlight)) return { state, commands }
  if (state.error !== null) return compensateFrom(workflow, state, state.position, commands)
  const waiting = branches.filter((b) => b.outcome === undefined).map((b) => b.dueAt!)
  if (waiting.length > 0) {
    const wake = waiting.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b))
    return { state: { ...state, dueAt: wake }, commands: [...commands, { type: 'scheduleWake', at: wake }] }
  }
  return continueAt(workflow, advance(workflow, state), at, commands)
}

/** The node's branch states: fresh ones when the run arrives at it. */
function branchesAt(node: ParallelDefinition, state: RunState): Branches {
  if (state.parallel?.position === state.position) return state.parallel.branches
  return Object.fromEntries(node.branches.map((def) => [def.branch, { attempt: 1, dueAt: null }]))
}

/** Keeps one `runStep` per branch, and only for tries still in flight at the end. */
function stillWanted(state: RunState, node: ParallelDefinition, commands: Command[]): Command[] {
  const seen = new Set<string>()
  return commands.filter((command) => {
    if (command.type !== 'runStep') return true
    const def = node.branches.find((b) => b.key === command.stepKey)
    const branch = def === undefined ? undefined : state.parallel?.branches[def.branch]
    const id = `${command.stepKey}@${command.attempt}`
    if (!inFlight(branch) || branch!.attempt !== command.attempt || seen.has(id)) return false
    seen.add(id)
    return true
  })
}

function inFlight(branch: BranchState | undefined): boolean {
  return branch !== undefined && branch.outcome === undefined && branch.dueAt === null
}

function withBranches(state: RunState, branches: Branches): RunState {
  return { ...state, parallel: { position: state.position, branches } }
}

function withBranch(state: RunState, def: BranchDefinition, branch: BranchState): RunState {
  return withBranches(state, { ...state.parallel!.branches, [def.branch]: branch })
}

function compensatedOne(state: RunState, def: BranchDefinition): RunState {
  const { branch: _, ...rest } = state
  return { ...rest, compensatedBranches: [...(state.compensatedBranches ?? []), def.key] }
}

function runBranch(def: BranchDefinition, attempt: number): Command {
  return { type: 'runStep', stepKey: def.key, stepName: def.name, attempt }
}

function compensateBranch(def: BranchDefinition, attempt: number): Command {
  return { type: 'runCompensation', stepKey: def.key, stepName: def.name, attempt }
}
