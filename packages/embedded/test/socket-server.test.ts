import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineWorkflow } from '@durable/core'
import { dataDirOwner, embeddedDurable } from '@durable/embedded'
import { silentLogger } from '@durable/provider'
import { postgresStore } from '@durable/store-postgres'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { SocketServer } from '../src/socket-server.ts'

const approval = defineWorkflow('approval').waitForSignal('approved')

const dirs: string[] = []
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'durable-socket-'))
  dirs.push(dir)
  return join(dir, '.durable')
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function clientOf(dataDir: string): pg.Client {
  const owner = dataDirOwner(dataDir)
  if (owner?.socket === undefined) throw new Error(`${dataDir} is not served`)
  return new pg.Client({ ...owner.socket, user: 'postgres', database: 'postgres' })
}

/** Sends raw bytes on the socket; resolves with all the server answered once it hangs up. */
function rawExchange(path: string, bytes: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path)
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks)))
    socket.on('connect', () => bytes.forEach((b) => socket.write(b)))
  })
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.write(type, 0)
  head.writeInt32BE(4 + body.length, 1)
  return Buffer.concat([head, body])
}

describe('the embedded database served on a socket', () => {
  it('serves the data dir while open, runs a client transaction apart from the app, and removes the socket on close', async () => {
    const dataDir = freshDir()
    const durable = embeddedDurable({ workflows: [approval], dataDir, logger: silentLogger })
    await durable.migrate()
    expect(dataDirOwner(dataDir)).toEqual({ pid: process.pid, socket: { host: dataDir, port: 5432 } })
    const client = clientOf(dataDir)
    await client.connect()
    try {
      await client.query('create table notes (text text)')
      await client.query('begin')
      await client.query(`insert into notes values ('not kept')`)
      const order: string[] = []
      // The app waits for the client's transaction instead of writing inside it…
      const started = durable.start(approval).then((id) => (order.push('app started a run'), id))
      await new Promise((resolve) => setTimeout(resolve, 200))
      order.push('client rolls back')
      await client.query('rollback')
      const runId = await started
      expect(order).toEqual(['client rolls back', 'app started a run'])
      // …so the client's rollback did not take the app's run with it.
      expect((await durable.find(runId)).status).toBe('pending')
      expect((await client.query('select count(*)::int as n from notes')).rows).toEqual([{ n: 0 }])
      const runs = await client.query('select id from durable.runs')
      expect(runs.rows).toEqual([{ id: runId }])
    } finally {
      await client.end()
      await durable.close()
    }
    expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(false)
    expect(dataDirOwner(dataDir)).toBeUndefined()
  })

  it('rolls back what a client that hangs up left open, and the app goes on', async () => {
    const dataDir = freshDir()
    const durable = embeddedDurable({ workflows: [approval], dataDir, logger: silentLogger })
    await durable.migrate()
    try {
      const first = clientOf(dataDir)
      await first.connect()
      await first.query('create table notes (text text)')
      await first.query('begin')
      await first.query(`insert into notes values ('left open')`)
      await first.query({ name: 'count_notes', text: 'select count(*)::int as n from notes' })
      await first.end()

      const runId = await durable.start(approval)
      expect((await durable.find(runId)).status).toBe('pending')
      const second = clientOf(dataDir)
      await second.connect()
      try {
        expect((await second.query('select count(*)::int as n from notes')).rows).toEqual([{ n: 0 }])
        // The first client's named statement went with it: the name is free for the next one.
        expect((await second.query({ name: 'count_notes', text: 'select count(*)::int as n from notes' })).rows).toEqual([{ n: 0 }])
      } finally {
        await second.end()
      }
    } finally {
      await durable.close()
    }
  })

  it('hands the notifications of a client commit to the app', async () => {
    const dataDir = freshDir()
    mkdirSync(dataDir, { recursive: true })
    const pglite = new PGlite(dataDir)
    const store = postgresStore({ pglite })
    const path = join(dataDir, '.s.PGSQL.5432')
    const server = await SocketServer.start({ pglite, db: store.db, path, idleInTransactionMs: 10_000 })
    const heard: string[] = []
    const stop = await store.listen('wake_up', (payload) => heard.push(payload))
    const client = new pg.Client({ host: dataDir, port: 5432, user: 'postgres', database: 'postgres' })
    await client.connect()
    try {
      await client.query('begin')
      await client.query(`select pg_notify('wake_up', 'run 42')`)
      await client.query('commit')
      await expect.poll(() => heard).toEqual(['run 42'])
    } finally {
      await client.end()
      await stop()
      await server.close()
      await store.close()
      await pglite.close()
    }
  })

  it('disconnects a client idle inside a transaction, so the app does not wait for it', async () => {
    const dataDir = freshDir()
    mkdirSync(dataDir, { recursive: true })
    const pglite = new PGlite(dataDir)
    const store = postgresStore({ pglite })
    await store.migrate()
    const server = await SocketServer.start({ pglite, db: store.db, path: join(dataDir, '.s.PGSQL.5432'), idleInTransactionMs: 500 })
    const client = new pg.Client({ host: dataDir, port: 5432, user: 'postgres', database: 'postgres' })
    client.on('error', () => {})
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()))
    await client.connect()
    try {
      await client.query('create table notes (text text)')
      await client.query('begin')
      await client.query(`insert into notes values ('abandoned')`)
      // The app's statement waits for the session until the idle client is cut off and rolled back.
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from notes`.execute(store.db)
      expect(rows).toEqual([{ n: 0 }])
      await ended
      await expect(client.query('select 1')).rejects.toThrow()
    } finally {
      await client.end().catch(() => {})
      await server.close()
      await store.close()
      await pglite.close()
    }
  })

  it('refuses messages that would end PGlite, and keeps serving', async () => {
    const dataDir = freshDir()
    const durable = embeddedDurable({ workflows: [approval], dataDir, logger: silentLogger })
    await durable.migrate()
    try {
      const path = join(dataDir, '.s.PGSQL.5432')
      // A startup without a user is FATAL in Postgres, and PGlite's Postgres would exit: served anyway.
      const startup = Buffer.alloc(9)
      startup.writeInt32BE(9, 0)
      startup.writeInt32BE(196608, 4)
      const unknownType = message('z', Buffer.alloc(0))
      const answer = await rawExchange(path, [startup, unknownType])
      expect(answer[0]).toBe('R'.charCodeAt(0))
      expect(answer.toString('latin1')).toContain('message type "z" is not served on this socket')
      expect((await durable.list()).runs).toEqual([])
      // Nor does a message whose length is impossible (it would never be consumed): the client is cut off.
      expect(await rawExchange(path, [Buffer.alloc(8)])).toEqual(Buffer.alloc(0))
      const client = clientOf(dataDir)
      await client.connect()
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }])
      await client.end()
    } finally {
      await durable.close()
    }
  })

  it('replaces a socket file left behind, and serves nothing when told not to', async () => {
    const dataDir = freshDir()
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(join(dataDir, '.s.PGSQL.5432'), 'left by a killed process')
    const served = embeddedDurable({ workflows: [], dataDir, logger: silentLogger })
    await served.migrate()
    try {
      const client = clientOf(dataDir)
      await client.connect()
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }])
      await client.end()
    } finally {
      await served.close()
    }

    const unserved = embeddedDurable({ workflows: [], dataDir, logger: silentLogger, serve: false })
    await unserved.migrate()
    try {
      expect(dataDirOwner(dataDir)).toEqual({ pid: process.pid })
      expect(existsSync(join(dataDir, '.s.PGSQL.5432'))).toBe(false)
    } finally {
      await unserved.close()
    }
  })
})
