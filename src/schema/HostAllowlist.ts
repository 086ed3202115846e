/**
 * The SSRF guard's allowlist match, shared by load-time validation (a URL outside its own
 * allowlist is a config error) and the http destination at send time (after DNS resolution).
 * Entries are host names (`api.example.com`, `*.example.com`), IP addresses or CIDR blocks.
 */
import { BlockList, isIP } from "node:net"

const family = (address: string): "ipv4" | "ipv6" | undefined => {
  const kind = isIP(address)
  return kind === 4 ? "ipv4" : kind === 6 ? "ipv6" : undefined
}

/** `true` when `host` (a name or an IP, without brackets) matches one of `entries`. */
export const hostAllowed = (host: string, entries: ReadonlyArray<string>): boolean => {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  const hostFamily = family(name)
  for (const raw of entries) {
    const entry = raw.toLowerCase()
    if (entry === name) return true
    if (entry.startsWith("*.") && hostFamily === undefined && name.endsWith(entry.slice(1))) return true
    const [network = "", prefix] = entry.split("/")
    const networkFamily = family(network)
    if (prefix !== undefined && networkFamily !== undefined && hostFamily === networkFamily) {
      const list = new BlockList()
      list.addSubnet(network, Number(prefix), networkFamily)
      if (list.check(name, hostFamily)) return true
    }
  }
  return false
}
