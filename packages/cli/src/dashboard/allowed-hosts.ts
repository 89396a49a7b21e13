/**
 * The `Host` check that keeps other web sites out. A page on evil.example can make its own name
 * resolve to 127.0.0.1 (DNS rebinding) and then read a loopback-only dashboard as if it were
 * same-origin; its requests still carry `Host: evil.example`, so a dashboard bound to loopback
 * answers only requests addressed to a loopback name.
 */

/** True for the names and addresses of this machine's loopback interface. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare)
}

/**
 * True when a request with this `Host` header may be answered by a dashboard bound to
 * `boundHost`. Bound to another interface (`--host 0.0.0.0`), the dashboard is reachable by name
 * from the network on purpose, so any host is allowed.
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!isLoopback(boundHost)) return true
  if (hostHeader === undefined) return false
  let name: string
  try {
    name = new URL(`http://${hostHeader}`).hostname
  } catch {
    return false
  }
  return isLoopback(name) || name === boundHost.toLowerCase()
}
