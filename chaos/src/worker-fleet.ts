/** The soak's worker processes: spawned, SIGKILLed and respawned, and watched for crashes. */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// From src/ (vitest) or dist/ (node) alike: the worker always runs compiled.
const WORKER_SCRIPT = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'worker-process.js')

export interface FleetOptions {
  readonly size: number
  readonly env: Record<string, string>
  /**
   * Where worker i runs: `placements[i % length]` — a command prefix (a network namespace) and
   * its own environment (its DATABASE_URL). A replacement runs where its victim ran.
   */
  readonly placements?: ReadonlyArray<Placement>
}

/** A place to run a worker: `command` wraps its argv; `env` adds to the fleet's. */
export interface Placement {
  readonly command?: (argv: readonly string[]) => { file: string; args: string[] }
  readonly env?: Record<string, string>
}

/** What the fleet saw, for the report. */
export interface FleetRecord {
  /** Exits nobody asked for (a crash), with the last lines of the process's stderr. */
  readonly unexpectedExits: string[]
  /** Every JSON log line the workers wrote (warnings and errors). */
  readonly logLines: string[]
  /** Lines on stderr that were not JSON log lines (a stack trace, a Node warning). */
  readonly strayOutput: string[]
}

interface Member {
  readonly child: ChildProcess
  readonly pid: number
  readonly place: number
  /** Set before we kill or stop it: its exit is then expected. */
  leaving: boolean
}

export class WorkerFleet {
  readonly #options: FleetOptions
  readonly #members: Member[] = []
  readonly record: FleetRecord = { unexpectedExits: [], logLines: [], strayOutput: [] }

  constructor(options: FleetOptions) {
    this.#options = options
  }

  /** Starts `size` workers; resolves once each consumes. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.#options.size }, (_, i) => this.#spawn(i)))
  }

  /** Pids of the live workers. */
  get pids(): number[] {
    return this.#members.map((m) => m.pid)
  }

  /** Pids of the live workers at placement `place`. */
  pidsAt(place: number): number[] {
    return this.#members.filter((m) => m.place === place).map((m) => m.pid)
  }

  /** SIGKILLs the worker `pid`, waits until it is gone, and starts a new one in its place. */
  async killAndReplace(pid: number): Promise<void> {
    const member = this.#members.find((m) => m.pid === pid)
    if (member === undefined) throw new Error(`no worker ${pid}`)
    member.leaving = true
    // A worker that crashed already never emits 'exit' again (its crash is on record).
    const exited = member.child.exitCode !== null || member.child.signalCode !== null
    const gone = exited ? Promise.resolve() : new Promise((resolve) => member.child.once('exit', resolve))
    member.child.kill('SIGKILL')
    await gone
    this.#members.splice(this.#members.indexOf(member), 1)
    await this.#spawn(member.place)
  }

  /** Stops every worker with SIGTERM (graceful: leases handed back), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(
      this.#members.splice(0).map(async (member) => {
        member.leaving = true
        if (member.child.exitCode !== null || member.child.signalCode !== null) return
        const gone = new Promise((resolve) => member.child.once('exit', resolve))
        member.child.kill('SIGTERM')
        const timer = setTimeout(() => member.child.kill('SIGKILL'), graceMs)
        await gone
        clearTimeout(timer)
      }),
    )
  }

  async #spawn(index: number): Promise<void> {
    const placements = this.#options.placements ?? [{}]
    const place = index % placements.length
    const { command, env } = placements[place]!
    // `ip netns exec` execs the command: the child's pid is the worker's.
    const { file, args } = command?.([process.execPath, WORKER_SCRIPT]) ?? { file: process.execPath, args: [WORKER_SCRIPT] }
    const child = spawn(file, args, { env: { ...process.env, ...this.#options.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const member: Member = { child, pid: child.pid!, place, leaving: false }
    const tail: string[] = []
    let partial = ''
    child.stderr!.on('data', (chunk) => {
      const lines = (partial + String(chunk)).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (line === '') continue
        tail.push(line)
        if (tail.length > 20) tail.shift()
        if (line.startsWith('{')) this.record.logLines.push(line)
        else this.record.strayOutput.push(line)
      }
    })
    child.once('exit', (code, signal) => {
      if (member.leaving) return
      const report = `worker ${member.pid} exited (code ${code}, signal ${signal}):\n${tail.join('\n')}`
      this.record.unexpectedExits.push(report)
      // Said at once too: the soak's end may be far, or never come.
      process.stderr.write(`[chaos] ${report}\n`)
    })
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve())
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready:\n${tail.join('\n')}`)))
    })
    this.#members.push(member)
  }
}
