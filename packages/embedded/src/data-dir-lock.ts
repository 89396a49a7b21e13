import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { DurableError } from '@durable/core'

/**
 * An embedded database is one PGlite instance in one process: two processes opening the same
 * data directory would corrupt it. The lock file holds the owner's pid; a lock whose process is
 * gone (killed with SIGKILL, say) is taken over.
 */
export class DataDirLock {
  readonly path: string

  private constructor(path: string) {
    this.path = path
  }

  /** Synchronous, so nothing can open the database before the lock is held. */
  static acquire(dataDir: string): DataDirLock {
    const path = `${resolve(dataDir)}.lock`
    mkdirSync(dirname(path), { recursive: true })
    for (let tries = 0; tries < 2; tries++) {
      try {
        writeFileSync(path, String(process.pid), { flag: 'wx' })
        return new DataDirLock(path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const holder = DataDirLock.holder(dataDir)
        // Our own pid counts too: a second instance in this process would open the same files.
        if (holder !== undefined) {
          throw new DurableError(
            'INVALID_INPUT',
            `the embedded database at ${resolve(dataDir)} is open in ${holder === process.pid ? 'this process already' : `process ${holder}`}; PGlite serves one instance at a time (close the other one, or use postgresStore with a PostgreSQL server to share runs between processes)`,
          )
        }
        rmSync(path, { force: true })
      }
    }
    throw new DurableError('INVALID_INPUT', `could not lock the embedded database at ${resolve(dataDir)} (${path})`)
  }

  /** The live process (this one included) whose lock is on `dataDir`, if any. */
  static holder(dataDir: string): number | undefined {
    const holder = Number(readOrEmpty(`${resolve(dataDir)}.lock`))
    return Number.isInteger(holder) && holder > 0 && isAlive(holder) ? holder : undefined
  }

  release(): void {
    rmSync(this.path, { force: true })
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
