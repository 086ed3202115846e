import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { makeApiKeyCheck, queryValue } from "../../../src/ingress/auth/apiKey.ts"
import { makeBasicCheck, parseBasic } from "../../../src/ingress/auth/basic.ts"
import { makeBearerCheck } from "../../../src/ingress/auth/bearer.ts"

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

describe("bearer tokens", () => {
  const check = makeBearerCheck({ tokens: [Redacted.make("old-token"), Redacted.make("new-token")] })

  it("accepts any configured token (rotation), the scheme case-insensitively", () => {
    expect(check("Bearer old-token")).toBe(true)
    expect(check("bearer new-token")).toBe(true)
  })

  it("rejects a wrong, missing, empty or differently-schemed token, and prefixes of a real one", () => {
    expect(check("Bearer wrong")).toBe(false)
    expect(check(undefined)).toBe(false)
    expect(check("Bearer ")).toBe(false)
    expect(check("Basic old-token")).toBe(false)
    expect(check("old-token")).toBe(false)
    expect(check("Bearer old-toke")).toBe(false)
    expect(check("Bearer old-token2")).toBe(false)
  })
})

describe("basic auth", () => {
  const check = makeBasicCheck({
    users: [
      { username: "shop", password: Redacted.make("s3cret:with:colons") },
      { username: "ops", password: Redacted.make("pw") }
    ]
  })

  it("accepts each user with their own password (passwords may contain colons)", () => {
    expect(check(basic("shop", "s3cret:with:colons"))).toBe(true)
    expect(check(basic("ops", "pw"))).toBe(true)
  })

  it("rejects another user's password, unknown users, missing or malformed headers", () => {
    expect(check(basic("shop", "pw"))).toBe(false)
    expect(check(basic("ops", "s3cret:with:colons"))).toBe(false)
    expect(check(basic("nobody", "pw"))).toBe(false)
    expect(check(undefined)).toBe(false)
    expect(check("Basic !!!")).toBe(false)
    expect(check(`Basic ${Buffer.from("no-colon").toString("base64")}`)).toBe(false)
    expect(check("Bearer pw")).toBe(false)
  })

  it("splits user and password at the first colon", () => {
    expect(parseBasic(basic("u", "a:b"))).toEqual({ user: "u", password: "a:b" })
    expect(parseBasic(basic("", ""))).toEqual({ user: "", password: "" })
  })
})

describe("API keys", () => {
  const keys = [Redacted.make("k-old"), Redacted.make("k-new")]

  it("in a header: any listed key passes; wrong, empty, missing, prefixes do not", () => {
    const check = makeApiKeyCheck({ header: "X-API-Key", keys })
    expect(check({ "x-api-key": "k-old" }, "/webhooks/s")).toBe(true)
    expect(check({ "x-api-key": "k-new" }, "/webhooks/s")).toBe(true)
    expect(check({ "x-api-key": "k-ne" }, "/webhooks/s")).toBe(false)
    expect(check({ "x-api-key": "" }, "/webhooks/s")).toBe(false)
    expect(check({}, "/webhooks/s?x-api-key=k-new")).toBe(false)
  })

  it("in the query: the named parameter, decoded; not another parameter or a header", () => {
    const check = makeApiKeyCheck({ query: "api_key", keys: [Redacted.make("a b&c")] })
    expect(check({}, "/webhooks/s?api_key=a%20b%26c")).toBe(true)
    expect(check({}, "/webhooks/s?x=1&api_key=a+b%26c")).toBe(true)
    expect(check({}, "/webhooks/s?api_keys=a%20b%26c")).toBe(false)
    expect(check({ api_key: "a b&c" }, "/webhooks/s")).toBe(false)
    expect(check({}, "/webhooks/s?api_key=")).toBe(false)
  })

  it("reads the first value of a query parameter, ignoring a fragment", () => {
    expect(queryValue("/p?a=1&a=2", "a")).toBe("1")
    expect(queryValue("/p?a=1#a=2", "a")).toBe("1")
    expect(queryValue("/p", "a")).toBeUndefined()
  })
})
