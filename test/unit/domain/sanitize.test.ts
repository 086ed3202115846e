import { describe, expect, it } from "vitest"
import { makeSanitizer, sanitizeMessage } from "../../../src/domain/sanitize.ts"

describe("sanitizeMessage", () => {
  it.each([
    ["connect ECONNREFUSED postgres://admin:hunter2@db.internal:5432/orders", ["hunter2", "admin", "db.internal"]],
    ["amqp://guest:guest@rabbit:5672/ refused", ["guest@", "rabbit:5672"]],
    ["redis://:s3cr3tpass@cache:6379 unreachable", ["s3cr3tpass"]],
    ["POST https://user:pw-1234@api.example.com/hook failed", ["pw-1234"]],
    ["auth failed password=Tr0ub4dor&3 for user x", ["Tr0ub4dor"]],
    ["bad api_key: sk_live_abcdef123456", ["sk_live_abcdef123456"]],
    ["header Authorization: Bearer abc.def.ghi rejected", ["abc.def.ghi"]],
    ["token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sflKxwRJSMeKKF2QT4fwpM leaked", ["eyJhbGciOiJIUzI1NiJ9"]],
    ["mysql://root:rootpw@127.0.0.1:3306/test denied", ["rootpw", "root:"]]
  ])("removes credentials and connection strings from %s", (input, secrets) => {
    const out = sanitizeMessage(input)
    for (const s of secrets) expect(out).not.toContain(s)
    expect(out).toContain("[REDACTED")
  })

  it("keeps what an operator needs: status, table, topic, reason", () => {
    const msg = 'HTTP 503 from crm (Retry-After 5); relation "orders" does not exist; topic audit.events unknown'
    expect(sanitizeMessage(msg)).toBe(msg)
  })

  it("removes known secret values verbatim, as whole tokens, even in unexpected places", () => {
    const s = makeSanitizer(["correct-horse-battery", "xyz"])
    expect(s("driver said: login correct-horse-battery rejected (xyz)")).toBe(
      "driver said: login [REDACTED] rejected (xyz)"
    )
  })

  it("never lets a secret value rewrite ordinary words: whole tokens only, 8 characters or more", () => {
    // a DB password `postgres` used to turn "postgresql" into "[REDACTED]ql", telling the password away
    const s = makeSanitizer(["postgres", "pg", "s3cret-value"])
    expect(s('{"module":"postgresql","table":"pgbench_accounts","user":"ops"}')).toBe(
      '{"module":"postgresql","table":"pgbench_accounts","user":"ops"}'
    )
    expect(s("password for user postgres rejected")).toBe("password for user [REDACTED] rejected")
    expect(s("xs3cret-valuex and s3cret-value_2 stay, s3cret-value goes")).toBe(
      "xs3cret-valuex and s3cret-value_2 stay, [REDACTED] goes"
    )
    const short = makeSanitizer(["hunter2", "pw"])
    expect(short("hunter2 typed, pw kept, spew kept")).toBe("hunter2 typed, pw kept, spew kept")
  })

  it("masks values by the name they are given, in any spelling, JSON included", () => {
    const body = JSON.stringify({
      clientSecret: "cs-1",
      nested: { dbPassword: "db-2", note: "kept" },
      "X-Authorization": "xa-3",
      "access token": { grants: ["g-4", { deep: "d-5" }] },
      author: "ada",
      tokenCount: 7
    })
    const out = sanitizeMessage(`HTTP 400 from crm: ${body}`)
    for (const secret of ["cs-1", "db-2", "xa-3", "g-4", "d-5"]) expect(out).not.toContain(secret)
    for (const kept of ['"note":"kept"', '"author":"ada"', '"tokenCount":7']) expect(out).toContain(kept)
    expect(sanitizeMessage("refreshToken=rt-1&scope=read idToken: it-2; newPassword='np-3'")).toBe(
      "refreshToken=[REDACTED]&scope=read idToken: [REDACTED]; newPassword='[REDACTED]'"
    )
  })

  it("flattens newlines and bounds the length", () => {
    const out = sanitizeMessage(`line1\nline2\r\n${"x".repeat(2_000)}`)
    expect(out.startsWith("line1 line2 ")).toBe(true)
    expect(out.length).toBeLessThanOrEqual(501)
  })

  it("is fast on pathological input", () => {
    const big = `${"http://".repeat(1_000)}${"/etc/passwd".repeat(1_000)} password=${"a".repeat(10_000)}`
    const started = performance.now()
    sanitizeMessage(big)
    // a generous bound that only catastrophic regex backtracking would break
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})
