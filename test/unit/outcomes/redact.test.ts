import { describe, expect, it } from "vitest"
import { defaultRedactor, makeRedactor, REDACTED } from "../../../src/domain/redact.ts"

const r = defaultRedactor

describe("redaction", () => {
  it.each([
    "password",
    "PASSWORD",
    "api_key",
    "token",
    "secret",
    "Authorization",
    "x-api-key",
    "access_token",
    "client_secret",
    "user_password",
    "api_secret_key",
    "x-custom-token",
    "auth_token",
    "Stripe-Secret-Key",
    "cookie",
    "Set-Cookie",
    // how secrets are named in the wild: camelCase, PascalCase, kebab, SCREAMING, x- prefixes, run together
    "accessToken",
    "clientSecret",
    "refreshToken",
    "userPassword",
    "dbPassword",
    "X-Authorization",
    "idToken",
    "apiSecret",
    "newPassword",
    "passphrase",
    "auth",
    "AccessToken",
    "CLIENT_SECRET",
    "client-secret",
    "X-Client-Secret",
    "x_refresh_token",
    "apiKey",
    "APIKey",
    "API_KEY",
    "privateKey",
    "aws_secret_access_key",
    "awsSecretAccessKey",
    "sessionId",
    "connectionString",
    "DATABASE_URL",
    "basicAuth",
    "X-Auth",
    "password2",
    "passwordHash",
    "secret_value",
    "accesstoken",
    "clientsecret",
    "PGPASSWORD",
    "x-apikey",
    "oauth2Token",
    "Proxy-Authorization",
    "x-amz-security-token"
  ])("treats %s as a secret", (key) => {
    expect(r.isSecretKey(key)).toBe(true)
  })

  it.each([
    "username",
    "email",
    "data",
    "message",
    "author",
    "keywords",
    "monkey",
    "keyboard",
    "oauth_provider",
    "tokenizer",
    "token_count",
    "passenger",
    "secretary",
    // whole words only, and a secret noun that qualifies another is not the secret
    "authority",
    "authored_at",
    "authorName",
    "authenticated",
    "auth_method",
    "tokenType",
    "token_expires_at",
    "client_secret_expires_at",
    "primary_key",
    "idempotency_key",
    "routing_key",
    "passport",
    "bypass",
    "x-hub-signature-256",
    "Content-Type",
    "session"
  ])("keeps the business field %s", (key) => {
    expect(r.isSecretKey(key)).toBe(false)
  })

  it("masks nested values, arrays of objects and whole secret subtrees; keeps siblings", () => {
    const input = {
      username: "ada",
      author: "ada",
      user: { password: "p", profile: { api_key: "k", name: "n" } },
      grants: [{ access_token: "a" }, { refresh_token: "b", scope: "s" }],
      tokens: [{ access_token: "a" }],
      credentials: { user: "u", pass: "p" }
    }
    expect(r.redact(input)).toEqual({
      username: "ada",
      author: "ada",
      user: { password: REDACTED, profile: { api_key: REDACTED, name: "n" } },
      grants: [{ access_token: REDACTED }, { refresh_token: REDACTED, scope: "s" }],
      tokens: REDACTED,
      credentials: REDACTED
    })
  })

  it("never mutates the input and shares untouched subtrees (copy-on-write, no deep copy)", () => {
    const clean = { big: { list: [1, 2, 3] } }
    const input = { clean, secret: "x" }
    const out = r.redact(input)
    expect(input.secret).toBe("x")
    expect(out).not.toBe(input)
    expect(out.clean).toBe(clean)
    const untouched = { a: { b: [1, { c: "d" }] } }
    expect(r.redact(untouched)).toBe(untouched)
  })

  it("masks every kind of primitive value under a secret key", () => {
    for (const v of ["", null, 12345, true, "x".repeat(1_000_000), "<script>", "'; DROP TABLE x;--", "🔑"]) {
      expect(r.redact({ password: v })).toEqual({ password: REDACTED })
    }
  })

  it("returns primitives and empty containers unchanged", () => {
    for (const v of [null, "string", 123, true, undefined]) expect(r.redact(v)).toBe(v)
    expect(r.redact({})).toEqual({})
    expect(r.redact([])).toEqual([])
  })

  it("headers: Authorization and X-API-Key masked, Content-Type and User-Agent kept", () => {
    const headers = { Authorization: "Bearer t", "X-API-Key": "k", "Content-Type": "json", "User-Agent": "ua" }
    expect(r.redactHeaders(headers)).toEqual({
      Authorization: REDACTED,
      "X-API-Key": REDACTED,
      "Content-Type": "json",
      "User-Agent": "ua"
    })
    const clean = { "content-type": "json" }
    expect(r.redactHeaders(clean)).toBe(clean)
  })

  it("per stream: extra fields (any case or separators) and explicit patterns, defaults still apply", () => {
    const custom = makeRedactor({ fields: ["ssn", "card-number"], patterns: ["^internal_"] })
    expect(
      custom.redact({
        ssn: "1",
        SSN: "1",
        card_number: "4242",
        cardNumber: "4242",
        "Card-Number": "4242",
        internal_note: "x",
        internalNote: "x",
        password: "p",
        note: "n",
        card: "c"
      })
    ).toEqual({
      ssn: REDACTED,
      SSN: REDACTED,
      card_number: REDACTED,
      cardNumber: REDACTED,
      "Card-Number": REDACTED,
      internal_note: REDACTED,
      internalNote: REDACTED,
      password: REDACTED,
      note: "n",
      card: "c"
    })
  })

  it("survives cycles, deep nesting, huge strings and many keys", () => {
    const cyclic: Record<string, unknown> = { password: "p", name: "x" }
    cyclic.self = cyclic
    const out = r.redact(cyclic) as Record<string, unknown>
    expect(out.password).toBe(REDACTED)
    expect(out.self).toBe("[Circular]")

    let deep: Record<string, unknown> = { password: "bottom" }
    for (let i = 0; i < 1_000; i++) deep = { next: deep }
    expect(() => r.redact(deep)).not.toThrow()
    expect(JSON.stringify(r.redact(deep))).not.toContain("bottom")

    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`password_${i}`, "v"]))
    const big = "y".repeat(10_000_000)
    const mixed = { ...wide, payload: big }
    const redacted = r.redact(mixed) as Record<string, unknown>
    expect(redacted.password_9999).toBe(REDACTED)
    expect(redacted.payload).toBe(big)
  })
})
