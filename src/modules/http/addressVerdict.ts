/**
 * Which IP addresses the SSRF guard refuses, and why: everything that is not a public unicast
 * address (IANA special-purpose registries for IPv4 and IPv6), plus the cloud metadata
 * endpoints by name and address. IPv6 forms that carry an IPv4 address (IPv4-mapped, the
 * deprecated IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4
 * address inside, so `::ffff:127.0.0.1` is loopback. Pure: no DNS, no sockets.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net"

export type AddressVerdict =
  | "metadata"
  | "loopback"
  | "private"
  | "carrier-grade NAT"
  | "link-local"
  | "unique local"
  | "multicast"
  | "unspecified"
  | "reserved"

/** Instance metadata services: AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Oracle. */
const METADATA_ADDRESSES = ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"]
export const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "metadata.azure.com",
  "instance-data",
  "instance-data.ec2.internal"
])

const v4: ReadonlyArray<readonly [string, number, AddressVerdict]> = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"], // IETF protocol assignments
  ["192.0.2.0", 24, "reserved"], // TEST-NET-1
  ["192.31.196.0", 24, "reserved"], // AS112
  ["192.52.193.0", 24, "reserved"], // AMT
  ["192.88.99.0", 24, "reserved"], // 6to4 relay anycast
  ["192.168.0.0", 16, "private"],
  ["192.175.48.0", 24, "reserved"], // AS112 direct delegation
  ["198.18.0.0", 15, "reserved"], // benchmarking
  ["198.51.100.0", 24, "reserved"], // TEST-NET-2
  ["203.0.113.0", 24, "reserved"], // TEST-NET-3
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"] // includes 255.255.255.255
]

const v6: ReadonlyArray<readonly [string, number, AddressVerdict]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["64:ff9b:1::", 48, "private"], // local-use NAT64
  ["100::", 64, "reserved"], // discard-only
  ["2001::", 23, "reserved"], // IETF protocol assignments, Teredo included
  ["2001:db8::", 32, "reserved"], // documentation
  ["3fff::", 20, "reserved"], // documentation
  ["5f00::", 16, "reserved"], // SRv6 SIDs
  ["fc00::", 7, "unique local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "link-local"], // deprecated site-local
  ["ff00::", 8, "multicast"]
]

const lists = (family: "ipv4" | "ipv6", rules: ReadonlyArray<readonly [string, number, AddressVerdict]>) =>
  rules.map(([network, prefix, verdict]) => {
    const list = new BlockList()
    list.addSubnet(network, prefix, family)
    return { list, verdict }
  })

const v4Lists = lists("ipv4", v4)
const v6Lists = lists("ipv6", v6)
const globalUnicast = new BlockList()
globalUnicast.addSubnet("2000::", 3, "ipv6")

/** The eight 16-bit groups of an IPv6 address (zone id dropped), or undefined if malformed. */
export const ipv6Groups = (address: string): Array<number> | undefined => {
  let text = address.replace(/%.*$/, "")
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (tail?.[1] !== undefined) {
    const octets = tail[1].split(".").map(Number)
    const [a = 0, b = 0, c = 0, d = 0] = octets
    text = `${text.slice(0, -tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split("::")
  if (halves.length > 2) return undefined
  const parse = (part: string | undefined) => (part === undefined || part === "" ? [] : part.split(":"))
  const head = parse(halves[0])
  const rest = parse(halves[1])
  const missing = 8 - head.length - rest.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => "0"), ...rest]
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined
  return groups.map((g) => Number.parseInt(g, 16))
}

const v4From = (high: number, low: number): string => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
export const embeddedIPv4 = (address: string): string | undefined => {
  const g = ipv6Groups(address)
  if (g === undefined) return undefined
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = g
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0)
  if (zeroTo(5) && g5 === 0xffff) return v4From(g6, g7) // ::ffff:a.b.c.d
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return v4From(g6, g7) // ::ffff:0:a.b.c.d (SIIT)
  if (zeroTo(6) && (g6 !== 0 || g7 > 1)) return v4From(g6, g7) // ::a.b.c.d (deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4From(g6, g7)
  if (g0 === 0x2002) return v4From(g1 ?? 0, g2 ?? 0) // 6to4
  return undefined
}

/** Why the guard refuses `address` (an IP literal), or `undefined` for a public unicast address. */
export const addressVerdict = (address: string): AddressVerdict | undefined => {
  const plain = address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "")
  if (isIPv4(plain)) {
    if (METADATA_ADDRESSES.includes(plain)) return "metadata"
    return v4Lists.find(({ list }) => list.check(plain, "ipv4"))?.verdict
  }
  if (!isIPv6(plain)) return "reserved"
  const groups = ipv6Groups(plain)
  if (groups === undefined) return "reserved"
  const canonical = groups.map((g) => g.toString(16)).join(":")
  if (
    METADATA_ADDRESSES.some(
      (m) =>
        isIPv6(m) &&
        ipv6Groups(m)
          ?.map((g) => g.toString(16))
          .join(":") === canonical
    )
  )
    return "metadata"
  const inner = embeddedIPv4(plain)
  if (inner !== undefined) return addressVerdict(inner)
  const listed = v6Lists.find(({ list }) => list.check(plain, "ipv6"))?.verdict
  if (listed !== undefined) return listed
  return globalUnicast.check(plain, "ipv6") ? undefined : "reserved"
}
