/**
 * The SSRF guard's matrix, without sockets: which addresses and names are refused, in which
 * spellings, and exactly what `allowed_hosts` opens. The lookup is driven with an injected
 * resolver, so names can "resolve" to private addresses without any DNS or traffic.
 */
import type { LookupAddress } from "node:dns"
import { describe, expect, it } from "vitest"
import { addressVerdict, embeddedIPv4 } from "../../../../src/modules/http/addressVerdict.ts"
import {
  addressRefusal,
  guardedLookup,
  hostRefusal,
  type Resolver,
  SsrfRefused
} from "../../../../src/modules/http/ssrfGuard.ts"

const hostOf = (url: string) => new URL(url).hostname

describe("addressVerdict", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["100.127.255.255", "carrier-grade NAT"],
    ["169.254.1.1", "link-local"],
    ["169.254.169.254", "metadata"],
    ["100.100.100.200", "metadata"],
    ["192.0.0.192", "metadata"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fc00::1", "unique local"],
    ["fd12:3456::1", "unique local"],
    ["fd00:ec2::254", "metadata"],
    ["fd00:ec2:0:0:0:0:0:254", "metadata"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["2001:0::1", "reserved"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:a00:1", "private"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["2002:7f00:1::", "loopback"],
    ["2002:c0a8:101::1", "private"],
    ["4000::1", "reserved"],
    ["not-an-ip", "reserved"]
  ])("%s → %s", (address, verdict) => {
    expect(addressVerdict(address)).toBe(verdict)
  })

  it.each(["93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"])(
    "%s is public",
    (address) => {
      expect(addressVerdict(address)).toBeUndefined()
    }
  )

  it("finds the IPv4 address inside IPv6 forms", () => {
    expect(embeddedIPv4("::ffff:10.0.0.1")).toBe("10.0.0.1")
    expect(embeddedIPv4("64:ff9b::7f00:1")).toBe("127.0.0.1")
    expect(embeddedIPv4("2002:0a00:0001::")).toBe("10.0.0.1")
    expect(embeddedIPv4("2606:4700::1111")).toBeUndefined()
  })
})

describe("hostRefusal on URL hosts (the URL parser normalises odd IPv4 spellings first)", () => {
  it.each([
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://017700000001/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://0/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://localhost/",
    "http://LOCALHOST./",
    "http://api.localhost/",
    "http://metadata.google.internal/",
    "http://metadata/",
    "http://10.0.0.1/",
    "http://0xa.0.0.1/",
    "http://[fe80::1]/"
  ])("%s is refused", (url) => {
    expect(hostRefusal(hostOf(url), [])).toBeDefined()
  })

  it("public hosts and names pass the pre-DNS check", () => {
    expect(hostRefusal(hostOf("http://93.184.216.34/"), [])).toBeUndefined()
    expect(hostRefusal(hostOf("https://hooks.example.com/x"), [])).toBeUndefined()
  })

  it("allowed_hosts opens exactly what it lists", () => {
    expect(hostRefusal("127.0.0.1", ["127.0.0.1"])).toBeUndefined()
    expect(hostRefusal("127.0.0.2", ["127.0.0.1"])).toBeDefined()
    expect(hostRefusal("127.0.0.2", ["127.0.0.0/8"])).toBeUndefined()
    expect(hostRefusal("10.0.0.1", ["127.0.0.0/8"])).toBeDefined()
    expect(hostRefusal("localhost", ["localhost"])).toBeUndefined()
    expect(hostRefusal("localhost", ["127.0.0.1"])).toBeDefined()
    // the name passes, but its address still needs an IP entry (below)
    expect(hostRefusal("metadata.google.internal", ["metadata.google.internal"])).toBeUndefined()
    expect(addressRefusal("metadata.google.internal", "169.254.169.254", ["metadata.google.internal"])).toBeDefined()
    expect(hostRefusal("::1", ["::1"])).toBeUndefined()
    expect(hostRefusal("::1", ["127.0.0.1"])).toBeDefined()
  })

  it("a name entry opens its private addresses but not a metadata address; an IP entry does", () => {
    expect(addressRefusal("internal.example.com", "10.0.0.5", ["internal.example.com"])).toBeUndefined()
    expect(addressRefusal("internal.example.com", "10.0.0.5", ["*.example.com"])).toBeUndefined()
    expect(addressRefusal("internal.example.com", "169.254.169.254", ["internal.example.com"])).toContain("metadata")
    expect(addressRefusal("internal.example.com", "169.254.169.254", ["169.254.169.254"])).toBeUndefined()
    expect(addressRefusal("other.example.org", "10.0.0.5", ["internal.example.com"])).toContain("private")
  })
})

const resolver =
  (table: Record<string, ReadonlyArray<string>>): Resolver =>
  async (hostname) => {
    const addresses = table[hostname]
    if (addresses === undefined) throw Object.assign(new Error(`no such host ${hostname}`), { code: "ENOTFOUND" })
    return addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 }))
  }

const lookupWith = (allowed: ReadonlyArray<string>, table: Record<string, ReadonlyArray<string>>, all = true) =>
  new Promise<{ error: Error | null; addresses: unknown }>((resolve) => {
    const lookup = guardedLookup(allowed, resolver(table))
    lookup(Object.keys(table)[0] ?? "missing", { all }, (error, addresses) => resolve({ error, addresses }))
  })

describe("guardedLookup: the addresses checked are the addresses handed to the socket", () => {
  it("hands over every checked public address, once, without a second resolution", async () => {
    let calls = 0
    const lookup = guardedLookup([], async () => {
      calls++
      return [
        { address: "93.184.216.34", family: 4 },
        { address: "2606:2800:220:1::1", family: 6 }
      ]
    })
    const result = await new Promise<unknown>((resolve) =>
      lookup("example.com", { all: true }, (error, addresses) => resolve(error ?? addresses))
    )
    expect(result).toEqual([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:2800:220:1::1", family: 6 }
    ])
    expect(calls).toBe(1)
    const single = await new Promise<unknown>((resolve) =>
      lookup("example.com", { family: 6 }, (error, address, family) => resolve(error ?? [address, family]))
    )
    expect(single).toEqual(["2606:2800:220:1::1", 6])
  })

  it.each([
    ["rebind.example.com", ["127.0.0.1"]],
    ["intranet.example.com", ["10.0.0.8"]],
    ["cgnat.example.com", ["100.64.1.1"]],
    ["v6.example.com", ["fd00::1"]],
    ["mapped.example.com", ["::ffff:192.168.0.1"]],
    ["meta.example.com", ["169.254.169.254"]],
    ["mixed.example.com", ["93.184.216.34", "10.0.0.1"]]
  ])("%s resolving to %j is refused", async (name, addresses) => {
    const { error } = await lookupWith([], { [name]: addresses })
    expect(error).toBeInstanceOf(SsrfRefused)
  })

  it("allowed_hosts naming the host lets its private address through, and nothing else", async () => {
    expect((await lookupWith(["intranet.example.com"], { "intranet.example.com": ["10.0.0.8"] })).error).toBeNull()
    expect((await lookupWith(["10.0.0.0/24"], { "intranet.example.com": ["10.0.0.8"] })).error).toBeNull()
    expect((await lookupWith(["10.0.1.0/24"], { "intranet.example.com": ["10.0.0.8"] })).error).toBeInstanceOf(
      SsrfRefused
    )
    expect((await lookupWith(["other.example.com"], { "intranet.example.com": ["10.0.0.8"] })).error).toBeInstanceOf(
      SsrfRefused
    )
  })

  it("localhost and metadata names are refused before any resolution", async () => {
    let calls = 0
    const lookup = guardedLookup([], async () => {
      calls++
      return [{ address: "93.184.216.34", family: 4 }]
    })
    for (const name of ["localhost", "metadata.google.internal"]) {
      const error = await new Promise<unknown>((resolve) => lookup(name, { all: true }, (e) => resolve(e)))
      expect(error).toBeInstanceOf(SsrfRefused)
    }
    expect(calls).toBe(0)
  })

  it("a DNS failure passes through as the resolver's error", async () => {
    const lookup = guardedLookup([], resolver({}))
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup("nowhere.example.com", { all: true }, (e) => resolve(e))
    )
    expect(error?.code).toBe("ENOTFOUND")
  })
})
