/**
 * "Hosts" on this machine: Linux network namespaces, each joined to the host by a veth pair with
 * a /30 of its own in 10.200.0.0/16 (the host's end `.1`, the namespace's `.2`). A worker process
 * started in a namespace reaches the database only through its link, so the link can be cut (a
 * partition) and restored. Traffic goes only to addresses made here; nothing is routed further.
 *
 * Needs root and `ip` (iproute2). Every namespace and link is removed by `destroy()`, on process
 * exit, and — for a process that died before it could — by the next `createNetworkHosts()`.
 */
import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** One namespace and its link to the host. */
export interface NetworkHost {
  /** The `ip netns` name. */
  readonly namespace: string
  /** The host's end of the link: a server listening here is reachable from the namespace. */
  readonly hostAddress: string
  /** The namespace's own address. */
  readonly address: string
  /** The /30 of the link, for `pg_hba.conf`. */
  readonly network: string
  /** The command line that runs `argv` inside the namespace. */
  command(argv: readonly string[]): { file: string; args: string[] }
  /** Takes the host's end of the link down: nothing passes either way until `restore()`. */
  cut(): Promise<void>
  /** Brings the link back up. */
  restore(): Promise<void>
}

export interface NetworkHosts {
  readonly hosts: readonly NetworkHost[]
  /** Removes every namespace and link. Idempotent. */
  destroy(): Promise<void>
}

const PREFIX = 'durable-'
const SLOTS = 16_384 // /30s in 10.200.0.0/16

/**
 * Why namespaces cannot be made here, or `undefined` when they can: not root, no `ip`, or a
 * kernel that refuses.
 */
export async function networkNamespacesUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add); run the tests as root'
  const probe = `${PREFIX}probe-${process.pid}`
  try {
    await ip('netns', 'add', probe)
    await ip('netns', 'del', probe)
    return undefined
  } catch (error) {
    return `ip netns add failed (${firstLine(error)}): install iproute2 and run as root with CAP_SYS_ADMIN`
  }
}

/** Makes `count` namespaces, each linked to the host. */
export async function createNetworkHosts(count: number): Promise<NetworkHosts> {
  await removeOrphans()
  const made: Array<{ namespace: string; link: string }> = []
  const removeSync = () => {
    for (const { namespace, link } of made.splice(0)) {
      // Deleting the namespace deletes its end of the pair, and so the pair.
      for (const args of [
        ['netns', 'del', namespace],
        ['link', 'del', link],
      ]) {
        try {
          execFileSync('ip', args, { stdio: 'ignore' })
        } catch {
          // Gone already.
        }
      }
    }
  }
  process.once('exit', removeSync)
  const hosts: NetworkHost[] = []
  try {
    let slot = (process.pid * 7) % SLOTS
    for (let i = 0; i < count; i++) {
      // The host-side link name is the lock on a slot: `ip link add` fails if another process has it.
      for (let tries = 0; ; tries++, slot = (slot + 1) % SLOTS) {
        try {
          await ip('link', 'add', `dh${slot}`, 'type', 'veth', 'peer', 'name', `dn${slot}`)
          break
        } catch (error) {
          if (tries > 64) throw new Error(`could not make a veth pair: ${firstLine(error)}`, { cause: error })
        }
      }
      const namespace = `${PREFIX}${process.pid}-${slot}`
      const link = `dh${slot}`
      made.push({ namespace, link })
      const base = `10.200.${slot >> 6}.${(slot & 63) * 4}`
      const [hostAddress, address] = [`10.200.${slot >> 6}.${(slot & 63) * 4 + 1}`, `10.200.${slot >> 6}.${(slot & 63) * 4 + 2}`]
      await ip('netns', 'add', namespace)
      await ip('link', 'set', `dn${slot}`, 'netns', namespace)
      await ip('addr', 'add', `${hostAddress}/30`, 'dev', link)
      await ip('link', 'set', link, 'up')
      await ip('-n', namespace, 'addr', 'add', `${address}/30`, 'dev', `dn${slot}`)
      await ip('-n', namespace, 'link', 'set', `dn${slot}`, 'up')
      await ip('-n', namespace, 'link', 'set', 'lo', 'up')
      hosts.push({
        namespace,
        hostAddress,
        address,
        network: `${base}/30`,
        command: (argv) => ({ file: 'ip', args: ['netns', 'exec', namespace, ...argv] }),
        cut: async () => void (await ip('link', 'set', link, 'down')),
        restore: async () => void (await ip('link', 'set', link, 'up')),
      })
      slot = (slot + 1) % SLOTS
    }
  } catch (error) {
    removeSync()
    process.removeListener('exit', removeSync)
    throw error
  }
  return {
    hosts,
    async destroy() {
      removeSync()
      process.removeListener('exit', removeSync)
    },
  }
}

/** Namespaces (and their links) left by processes that died before they could remove them. */
async function removeOrphans(): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list'])
  for (const line of stdout.split('\n')) {
    const match = /^durable-(\d+)-(\d+)\b/.exec(line)
    if (match === null || alive(Number(match[1]))) continue
    await ip('netns', 'del', `${PREFIX}${match[1]}-${match[2]}`).catch(() => {})
    await ip('link', 'del', `dh${match[2]}`).catch(() => {})
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args)
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr?.trim()
  return (stderr || (error instanceof Error ? error.message : String(error))).split('\n')[0]!
}
