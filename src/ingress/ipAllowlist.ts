/**
 * `auth.ip_allowlist`: the client address must fall in one of the CIDRs (a bare address is a
 * /32 or /128). Matching is Node's `net.BlockList`; IPv4-mapped IPv6 addresses
 * (`::ffff:10.1.2.3`, what a dual-stack socket reports for IPv4 clients) match IPv4 rules.
 */
import { BlockList, isIP } from "node:net"

export type IpCheck = (address: string | undefined) => boolean

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** `::ffff:a.b.c.d` → `a.b.c.d`; other addresses unchanged. */
export const unmapIpv4 = (address: string): string => MAPPED_V4.exec(address)?.[1] ?? address

export const makeIpAllowlist = (cidrs: ReadonlyArray<string>): IpCheck => {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [rawAddress = "", prefix] = cidr.split("/")
    const address = unmapIpv4(rawAddress)
    const family = isIP(address) === 4 ? "ipv4" : "ipv6"
    const bits = prefix === undefined ? (family === "ipv4" ? 32 : 128) : Number(prefix)
    // a mapped IPv4 written with an IPv6 prefix length (::ffff:10.0.0.0/104) keeps its meaning
    const v4bits = rawAddress !== address && prefix !== undefined ? Math.max(0, bits - 96) : bits
    list.addSubnet(address, family === "ipv4" ? v4bits : bits, family)
  }
  return (remote) => {
    if (remote === undefined) return false
    const address = unmapIpv4(remote)
    const family = isIP(address)
    return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6")
  }
}
