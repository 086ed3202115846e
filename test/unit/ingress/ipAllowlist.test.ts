import { describe, expect, it } from "vitest"
import { makeIpAllowlist, unmapIpv4 } from "../../../src/ingress/ipAllowlist.ts"

describe("IP allowlist", () => {
  it("matches IPv4 CIDRs at their edges", () => {
    const allowed = makeIpAllowlist(["10.0.0.0/8", "192.168.1.0/24"])
    expect(allowed("10.0.0.0")).toBe(true)
    expect(allowed("10.255.255.255")).toBe(true)
    expect(allowed("11.0.0.0")).toBe(false)
    expect(allowed("9.255.255.255")).toBe(false)
    expect(allowed("192.168.1.77")).toBe(true)
    expect(allowed("192.168.2.1")).toBe(false)
  })

  it("reads a bare address as a single host, and a network written with host bits set as its network", () => {
    const allowed = makeIpAllowlist(["203.0.113.7", "172.16.5.9/16"])
    expect(allowed("203.0.113.7")).toBe(true)
    expect(allowed("203.0.113.8")).toBe(false)
    expect(allowed("172.16.200.1")).toBe(true)
    expect(allowed("172.17.0.1")).toBe(false)
  })

  it("matches IPv6 CIDRs and single addresses", () => {
    const allowed = makeIpAllowlist(["2001:db8::/32", "::1"])
    expect(allowed("2001:db8:1234::1")).toBe(true)
    expect(allowed("2001:db9::1")).toBe(false)
    expect(allowed("::1")).toBe(true)
    expect(allowed("::2")).toBe(false)
  })

  it("treats IPv4-mapped IPv6 clients (dual-stack sockets) as their IPv4 address", () => {
    const allowed = makeIpAllowlist(["127.0.0.0/8"])
    expect(allowed("::ffff:127.0.0.1")).toBe(true)
    expect(allowed("::ffff:128.0.0.1")).toBe(false)
    expect(unmapIpv4("::FFFF:10.1.2.3")).toBe("10.1.2.3")
    expect(makeIpAllowlist(["::ffff:10.0.0.0/104"])("10.9.9.9")).toBe(true)
  })

  it("/0 allows every address of its family only", () => {
    expect(makeIpAllowlist(["0.0.0.0/0"])("8.8.8.8")).toBe(true)
    expect(makeIpAllowlist(["0.0.0.0/0"])("2001:db8::1")).toBe(false)
  })

  it("refuses what is not an address", () => {
    const allowed = makeIpAllowlist(["0.0.0.0/0", "::/0"])
    expect(allowed(undefined)).toBe(false)
    expect(allowed("")).toBe(false)
    expect(allowed("localhost")).toBe(false)
  })
})
