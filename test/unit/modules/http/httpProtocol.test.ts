/** Signing, status mapping, Retry-After and outgoing headers of the http destination. */
import { describe, expect, it } from "vitest"
import { forwardedHeaders } from "../../../../src/modules/http/outgoingHeaders.ts"
import { signingKey, signStandardWebhook } from "../../../../src/modules/http/standardWebhooks.ts"
import { parseRetryAfter, statusError } from "../../../../src/modules/http/statusError.ts"

describe("Standard Webhooks signing", () => {
  it("matches the reference library's vector", () => {
    // standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts "sign function works"
    const key = signingKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    expect(key).toBeDefined()
    if (key === undefined) return
    expect(signStandardWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    // the bare base64 form is the same key; bytes sign like the string
    const bare = signingKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    expect(bare?.equals(key)).toBe(true)
    expect(
      signStandardWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Buffer.from('{"test": 2432232314}'))
    ).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
  })

  it("refuses secrets that are not base64", () => {
    expect(signingKey("whsec_")).toBeUndefined()
    expect(signingKey("whsec_not base64!")).toBeUndefined()
  })
})

describe("status mapping", () => {
  const now = Date.parse("2026-01-01T00:00:00Z")
  it.each([
    [400, "rejected", false],
    [404, "rejected", false],
    [409, "rejected", false],
    [422, "rejected", false],
    [401, "unauthorized", false],
    [403, "unauthorized", false],
    [408, "unavailable", true],
    [425, "unavailable", true],
    [429, "throttled", true],
    [500, "unavailable", true],
    [502, "unavailable", true],
    [503, "unavailable", true],
    [301, "rejected", false],
    [307, "rejected", false]
  ])("HTTP %i → %s (retryable %s)", (status, reason, retryable) => {
    const error = statusError(status, undefined, now, "https://hooks.example.com")
    expect(error.reason).toBe(reason)
    expect(error.retryable).toBe(retryable)
    expect(error.message).toContain(`HTTP ${status}`)
  })

  it("says a redirect was not followed", () => {
    expect(statusError(302, undefined, now, "https://a.example").message).toContain("redirects are not followed")
  })

  it("Retry-After on 429 and 503, in seconds or as an HTTP date; ignored elsewhere", () => {
    expect(statusError(429, "7", now, "t").retryAfterMs).toBe(7000)
    expect(statusError(503, "Thu, 01 Jan 2026 00:00:30 GMT", now, "t").retryAfterMs).toBe(30_000)
    expect(statusError(500, "7", now, "t").retryAfterMs).toBeUndefined()
    expect(statusError(429, "soon", now, "t").retryAfterMs).toBeUndefined()
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0)
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })
})

describe("forwarded headers", () => {
  const event = {
    "Content-Type": "application/json",
    "X-Request-Id": "r-1",
    Connection: "keep-alive, X-Hop",
    "X-Hop": "per-hop",
    "Transfer-Encoding": "chunked",
    Host: "ingress.internal",
    "Content-Length": "12",
    "Idempotency-Key": "forged",
    "Webhook-Signature": "v1,forged",
    Traceparent: "00-forged",
    "X-Bad": "a\r\nInjected: yes"
  }

  it("none unless asked", () => {
    expect(forwardedHeaders(event, [])).toEqual({})
  })

  it("only the listed names, lower-cased", () => {
    expect(forwardedHeaders(event, ["x-request-id"])).toEqual({ "x-request-id": "r-1" })
  })

  it("`*` forwards all but hop-by-hop, Connection-listed, protocol and unsafe headers", () => {
    expect(forwardedHeaders(event, ["*"])).toEqual({ "content-type": "application/json", "x-request-id": "r-1" })
    expect(forwardedHeaders(event, ["host", "idempotency-key", "x-hop"])).toEqual({})
  })
})
