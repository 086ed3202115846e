import { describe, expect, it } from "vitest"
import { HttpConfig, HttpConnection } from "../../../src/modules/http/HttpConfig.ts"
import { decode } from "./decode.ts"

describe("http config", () => {
  it("needs an absolute http(s) URL without credentials in it", () => {
    expect(decode(HttpConfig, {}).problems).toEqual(["url: missing required key 'url'"])
    expect(decode(HttpConfig, { url: "/relative" }).problems).toEqual([
      "url: expected an absolute http:// or https:// URL"
    ])
    expect(decode(HttpConfig, { url: "ftp://x.example" }).problems).toEqual([
      "url: expected an http:// or https:// URL, got ftp:"
    ])
    const withCredentials = decode(HttpConfig, { url: "https://user:hunter2@x.example" }).problems
    expect(withCredentials[0]).toMatch(/^url: credentials in the URL are not allowed/)
    expect(withCredentials.join()).not.toContain("hunter2")
  })

  it("allows POST, PUT and PATCH only", () => {
    expect(decode(HttpConfig, { url: "https://x.example", method: "PUT" }).value).toMatchObject({ method: "PUT" })
    expect(decode(HttpConfig, { url: "https://x.example", method: "GET" }).problems).toEqual([
      "method: expected one of 'POST', 'PUT', 'PATCH', got 'GET'"
    ])
  })

  it("checks header names and values (no header smuggling)", () => {
    expect(
      decode(HttpConfig, { url: "https://x.example", headers: { "x ok": "1", "x-b": "a\r\nInjected: 1" } }).problems
    ).toEqual([
      "headers.x ok: invalid key 'x ok': expected an HTTP header name (RFC 7230 token)",
      "headers.x-b: header values may not contain CR, LF or NUL and are at most 8192 characters"
    ])
  })

  it("takes hosts, wildcard domains, IPs and CIDRs in allowed_hosts, and the URL must be among them", () => {
    const ok = decode(HttpConfig, {
      url: "http://10.1.2.3:8080/x",
      allowed_hosts: ["*.example.com", "10.0.0.0/8", "::1"]
    })
    expect(ok.problems).toEqual([])
    expect(decode(HttpConfig, { url: "https://api.example.com/x", allowed_hosts: ["*.example.com"] }).problems).toEqual(
      []
    )
    expect(decode(HttpConfig, { url: "http://127.0.0.1/x", allowed_hosts: ["10.0.0.0/8"] }).problems).toEqual([
      ": the url's host '127.0.0.1' is not in allowed_hosts"
    ])
    expect(
      decode(HttpConfig, { url: "https://x.example", allowed_hosts: ["not a host", "10.0.0.0/40"] }).problems
    ).toEqual([
      "allowed_hosts.0: expected a host name, IP address or CIDR, got 'not a host'",
      "allowed_hosts.1: expected a prefix length between 0 and 32 in '10.0.0.0/40'"
    ])
  })

  it("bounds its own timeout", () => {
    expect(decode(HttpConfig, { url: "https://x.example", timeout: "5s" }).value).toMatchObject({ timeout: 5000 })
    expect(decode(HttpConfig, { url: "https://x.example", timeout: "16m" }).problems).toEqual([
      "timeout: expected a duration of at most 15m, got '16m'"
    ])
  })

  it("keeps connection headers and the signing secret secret", () => {
    const connection = decode(HttpConnection, {
      type: "http",
      headers: { authorization: "Bearer abc" },
      signing_secret: "whsec_abc"
    }).value
    expect(JSON.stringify(connection)).not.toMatch(/abc/)
  })
})
