import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DataDirLock } from './data-dir-lock.js'
import { SOCKET_PORT, socketPath } from './socket-server.js'

/** The process that has an embedded data directory open, and where it serves the database. */
export interface DataDirOwner {
  /** Its process id (possibly this process). */
  readonly pid: number
  /**
   * Where it serves the database, when it does: connect with `pg` (`{ host, port }`) or
   * `psql -h <host>`. Absent for a process started with `serve: false`, one that is still
   * opening the database, or one of a version before the socket.
   */
  readonly socket?: { readonly host: string; readonly port: number }
}

/**
 * Tells whether a process has the embedded database at `dataDir` open, and how to reach it
 * while it runs. `undefined` when none has: the directory may be opened with `embeddedDurable`.
 *
 * ### Example
 * ```ts
 * const owner = dataDirOwner('.durable')
 * if (owner?.socket) {
 *   const pool = new pg.Pool({ ...owner.socket, max: 1 })
 *   const store = postgresStore({ pool })
 * }
 * ```
 */
export function dataDirOwner(dataDir: string): DataDirOwner | undefined {
  const pid = DataDirLock.holder(dataDir)
  if (pid === undefined) return undefined
  return isSocket(socketPath(dataDir)) ? { pid, socket: { host: resolve(dataDir), port: SOCKET_PORT } } : { pid }
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket()
  } catch {
    return false
  }
}
