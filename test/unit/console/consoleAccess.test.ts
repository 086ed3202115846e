import { describe, expect, it } from "vitest"
import { authorized, consoleAccess, hostAllowed, isLoopback } from "../../../src/console/consoleAccess.ts"

describe("console access", () => {
  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])
      expect(isLoopback(h)).toBe(true)
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "example.com", "128.0.0.1"]) expect(isLoopback(h)).toBe(false)
  })

  it("is open on loopback, needs a token elsewhere, and is off when turned off", () => {
    expect(consoleAccess({ enabled: true, host: "127.0.0.1", token: undefined })._tag).toBe("Open")
    expect(consoleAccess({ enabled: true, host: "0.0.0.0", token: "" })._tag).toBe("Disabled")
    expect(consoleAccess({ enabled: true, host: "0.0.0.0", token: "s3cret" })._tag).toBe("Token")
    expect(consoleAccess({ enabled: true, host: "127.0.0.1", token: "s3cret" })._tag).toBe("Token")
    expect(consoleAccess({ enabled: false, host: "127.0.0.1", token: "s3cret" })._tag).toBe("Disabled")
  })

  it("checks the bearer token", () => {
    const access = consoleAccess({ enabled: true, host: "0.0.0.0", token: "s3cret" })
    expect(authorized(access, "Bearer s3cret")).toBe(true)
    expect(authorized(access, "bearer s3cret")).toBe(true)
    for (const h of [undefined, "", "Bearer", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret"])
      expect(authorized(access, h)).toBe(false)
    expect(authorized({ _tag: "Open" }, undefined)).toBe(true)
    expect(authorized({ _tag: "Disabled", reason: "off" }, "Bearer x")).toBe(false)
  })

  it("an open console answers only to a loopback Host header (DNS rebinding); with a token any Host", () => {
    const open = consoleAccess({ enabled: true, host: "127.0.0.1", token: undefined })
    for (const h of ["127.0.0.1:9464", "localhost:9464", "[::1]:9464", "localhost", "127.0.0.1", "[::1]"])
      expect(hostAllowed(open, h)).toBe(true)
    for (const h of [undefined, "", "evil.example:9464", "evil.example", "127.0.0.1.evil.example:9464", "[::2]:9464"])
      expect(hostAllowed(open, h)).toBe(false)
    const token = consoleAccess({ enabled: true, host: "0.0.0.0", token: "s3cret" })
    expect(hostAllowed(token, "ops.internal:9464")).toBe(true)
  })
})
