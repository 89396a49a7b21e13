import { transition, type BranchDefinition, type BranchState, type Command, type ParallelDefinition, type RunEvent, type Transition } from '@durable/core'
import type { Action } from './actions.js'
import type { Drive } from './drive.js'
import type { RunDriver } from './run-driver.js'
import { runTry, type TryOutcome } from './step-runner.js'
import { traceTry } from './tracing.js'

/** A branch try that ended, or the timer of a branch's backoff. */
type Settled = { kind: 'tried'; def: BranchDefinition; command: RunStep; outcome: TryOutcome } | { kind: 'due' }
type RunStep = Extract<Command, { type: 'runStep' }>

/**
 * Runs the branches of a parallel node at the same time in this worker, which holds the run's
 * lease throughout. The run's state says which tries are in flight; each outcome is committed
 * on its own (fenced, one at a time), after waking the run so that branches whose backoff ended
 * start too. Returns the action after the node — the next step, a compensation — or undefined
 * once the run parked, ended or was lost.
 */
export async function driveBranches(driver: RunDriver, drive: Drive, node: ParallelDefinition): Promise<Action | undefined> {
  const running = new Map<string, Promise<Settled>>()
  let next: Action | undefined
  for (;;) {
    const { state } = drive
    const branches = state.step === node.name && state.cursor?.kind === 'parallel' ? state.cursor.branches : undefined
    // Joined, rolling back, parked or lost: the main loop takes over.
    if (branches === undefined || state.status !== 'running' || !drive.leased) {
      return running.size === 0 ? next : settleAll(running, next)
    }
    // A passed deadline stops the tries as a stop does; the main loop then applies it.
    const stopping = drive.stopRequested || drive.deadlinePassed
    if (!stopping) for (const def of node.branches) start(driver, drive, def, branches[def.branch]!, running)
    if (running.size === 0) {
      // Stopping with tries still to start: the main loop hands the lease back.
      const waiting = node.branches.find((def) => inFlight(branches[def.branch]!))
      return waiting === undefined ? undefined : { type: 'runStep', stepKey: waiting.key, stepName: waiting.name, attempt: branches[waiting.branch]!.attempt }
    }
    const timer = stopping ? undefined : backoffTimer(branches, driver.runtime.clock.now())
    const settled = await Promise.race(timer === undefined ? running.values() : [...running.values(), timer.done])
    timer?.cancel()
    if (settled.kind === 'due') {
      next = await driver.commit(drive, transition(drive.workflow, drive.state, { type: 'woken', at: driver.runtime.clock.now().toISOString() }))
      continue
    }
    const id = tryId(settled.command)
    if (settled.outcome.kind === 'aborted') {
      running.delete(id)
      if (running.size === 0) return driver.abandon(drive, settled.def)
      continue
    }
    const { event, resultJson } = driver.tryEvent(drive, settled.def, settled.command, settled.outcome)
    // The try counts as running until its outcome is committed, so the wake-up's command for it is ignored.
    next = await driver.commit(drive, wakeThen(drive, node, event), resultJson)
    running.delete(id)
  }
}

/** Starts the branch's try if the state has it in flight and it does not run here yet. */
function start(driver: RunDriver, drive: Drive, def: BranchDefinition, branch: BranchState, running: Map<string, Promise<Settled>>): void {
  if (!inFlight(branch)) return
  const command: RunStep = { type: 'runStep', stepKey: def.key, stepName: def.name, attempt: branch.attempt }
  const id = tryId(command)
  if (running.has(id)) return
  const ctx = driver.context(drive, { name: def.key }, branch.attempt)
  running.set(
    id,
    traceTry(drive.trace, { ...ctx, kind: 'step' }, () => runTry(def.handler, ctx, def.timeoutMs, drive.trySignal)).then((outcome) => ({
      kind: 'tried' as const,
      def,
      command,
      outcome,
    })),
  )
}

/** The run is woken (due branches start) and then takes the event, as a replay of the journal does. */
function wakeThen(drive: Drive, node: ParallelDefinition, event: RunEvent): Transition {
  const woke = transition(drive.workflow, drive.state, { type: 'woken', at: event.at })
  const after = transition(drive.workflow, woke.state, event)
  // The branches to run are read from the state; the wake-up's commands for them are not needed.
  const kept = woke.commands.filter((c) => !(c.type === 'runStep' && node.branches.some((b) => b.key === c.stepKey)))
  return { state: after.state, commands: [...kept, ...after.commands] }
}

/** Resolves when the first branch waiting out a backoff is due. */
function backoffTimer(branches: Readonly<Record<string, BranchState>>, now: Date): { done: Promise<Settled>; cancel(): void } | undefined {
  const dues = Object.values(branches)
    .filter((b) => b.outcome === undefined && b.notBefore !== undefined)
    .map((b) => Date.parse(b.notBefore!))
  if (dues.length === 0) return undefined
  let timeout: NodeJS.Timeout | undefined
  const done = new Promise<Settled>((resolve) => {
    timeout = setTimeout(() => resolve({ kind: 'due' }), Math.max(0, Math.min(...dues) - now.getTime()))
  })
  return { done, cancel: () => clearTimeout(timeout) }
}

/** Tries still running when the run left the node (a lost lease aborts them): wait, record nothing. */
async function settleAll(running: Map<string, Promise<Settled>>, next: Action | undefined): Promise<Action | undefined> {
  await Promise.allSettled(running.values())
  return next
}

function inFlight(branch: BranchState): boolean {
  return branch.outcome === undefined && branch.notBefore === undefined
}

function tryId(command: RunStep): string {
  return `${command.stepKey}@${command.attempt}`
}
