import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNetworkHosts, networkNamespacesUnavailable, type NetworkHosts } from '../src/network-hosts.ts'

const run = promisify(execFile)

describe('createNetworkHosts', () => {
  let network: NetworkHosts
  let server: Server
  let port: number
  beforeAll(async () => {
    // Multi-host tests need namespaces: where they cannot be made, this says why and fails.
    expect(await networkNamespacesUnavailable()).toBeUndefined()
    network = await createNetworkHosts(2)
    server = createServer((socket) => socket.end())
    await new Promise<void>((resolve) => server.listen(0, network.hosts[0]!.hostAddress, resolve))
    port = (server.address() as { port: number }).port
  })
  afterAll(async () => {
    server?.close()
    await network?.destroy()
  })

  /** Exit code of a TCP connect from inside `host`'s namespace to the server (0: connected). */
  const connectFrom = async (index: number, to: string): Promise<number> => {
    const script = `require('net').connect(${port}, '${to}').on('connect', () => process.exit(0)).on('error', () => process.exit(1)); setTimeout(() => process.exit(2), 1500)`
    const { file, args } = network.hosts[index]!.command([process.execPath, '-e', script])
    return run(file, args).then(
      () => 0,
      (error: { code?: number }) => error.code ?? -1,
    )
  }

  it('gives each namespace its own /30 whose host end it reaches, and cut() stops traffic until restore()', async () => {
    const [a, b] = network.hosts as [NetworkHosts['hosts'][0], NetworkHosts['hosts'][0]]
    expect(a.network).not.toBe(b.network)
    expect(a.hostAddress).toMatch(/^10\.200\.\d+\.\d+$/)
    expect(await connectFrom(0, a.hostAddress)).toBe(0)
    await a.cut()
    expect(await connectFrom(0, a.hostAddress)).not.toBe(0)
    await a.restore()
    expect(await connectFrom(0, a.hostAddress)).toBe(0)
  })

  it('removes every namespace and link on destroy()', async () => {
    const extra = await createNetworkHosts(1)
    const name = extra.hosts[0]!.namespace
    expect((await run('ip', ['netns', 'list'])).stdout).toContain(name)
    await extra.destroy()
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(name)
    const link = `dh${name.split('-').at(-1)}`
    expect((await run('ip', ['-br', 'link'])).stdout.split('\n').some((line) => line.startsWith(`${link} `) || line.startsWith(`${link}@`))).toBe(false)
  })
})
