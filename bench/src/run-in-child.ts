/** Runs a task in a fresh Node process (dist/child.js) and returns what it sent back. */
import { fork } from 'node:child_process'
import { progress } from './progress.js'
import { taskLabel, type TaskInput } from './task.js'

/** After the result arrives, how long the child may take to exit before it is called stuck. */
const EXIT_GRACE_MS = 10_000

export interface ChildOutcome<T> {
  readonly result?: T
  readonly error?: string
  /** False when the child had to be killed: something it opened kept the event loop alive. */
  readonly exitedByItself: boolean
}

export function runInChild<T>(input: TaskInput, options: { timeoutMs: number; execArgv?: readonly string[] }): Promise<ChildOutcome<T>> {
  const label = taskLabel(input.task)
  return new Promise((resolve) => {
    const child = fork(new URL('./child.js', import.meta.url), [JSON.stringify(input)], {
      execArgv: ['--expose-gc', ...(options.execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let message: { result?: T; error?: string } = { error: 'the child exited without a result' }
    let killedByUs = false
    const kill = (why: string) => {
      killedByUs = true
      if (message.result === undefined) message = { error: why }
      progress(`${label}: ${why}; killing child ${child.pid}`)
      child.kill('SIGKILL')
    }
    const timeout = setTimeout(() => kill(`no result after ${options.timeoutMs / 1000} s`), options.timeoutMs)
    let grace: NodeJS.Timeout | undefined
    child.on('message', (received) => {
      message = received as typeof message
      clearTimeout(timeout)
      grace = setTimeout(() => kill(`did not exit ${EXIT_GRACE_MS / 1000} s after its result (an open handle)`), EXIT_GRACE_MS)
    })
    child.on('exit', () => {
      clearTimeout(timeout)
      clearTimeout(grace)
      resolve({ ...message, exitedByItself: !killedByUs })
    })
  })
}
