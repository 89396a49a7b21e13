/** Starts a throwaway `redis-server` (the Debian package) on a free loopback port for a test file. */
import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from '../../../testing/free-port.ts'

export interface RedisServer {
  readonly port: number
  /** Kills the server at once (SIGKILL): with persistence off, every job is gone. */
  kill(): Promise<void>
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>
  /** Stops the server. */
  stop(): Promise<void>
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  let child = await launch(port)
  return {
    port,
    kill: () => end(child, 'SIGKILL'),
    async restart() {
      child = await launch(port)
    },
    stop: () => end(child, 'SIGTERM'),
  }
}

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000)
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.once('error', (error) => fail(new Error(`could not run redis-server (${error.message}); install it: apt-get install redis-server`)))
    child.once('exit', (code) => fail(new Error(`redis-server exited with code ${String(code)}:\n${output}`)))
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.removeAllListeners('exit')
        child.stdout!.removeAllListeners('data').resume()
        resolve(child)
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()))
  })
}

function end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}
