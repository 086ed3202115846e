import { Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { formatPath, reportIssues, reportingParseOptions } from "../../../src/domain/SchemaIssues.ts"
import { looksLikeWebhookEvent, WebhookEvent } from "../../../src/domain/WebhookEvent.ts"

const problems = (input: unknown) => {
  const result = Schema.decodeUnknownResult(WebhookEvent)(input, {
    ...reportingParseOptions,
    onExcessProperty: "ignore"
  })
  return Result.isSuccess(result)
    ? []
    : reportIssues(result.failure.issue).map((r) => `${formatPath(r.path)}: ${r.message}`)
}

describe("webhook event", () => {
  it("needs webhook_id and payload; payload may be any JSON, null included", () => {
    expect(problems({ webhook_id: "orders", payload: null })).toEqual([])
    expect(problems({ webhook_id: "orders", payload: [1, "a", { b: true }] })).toEqual([])
    expect(problems({ payload: 1 })).toEqual(["webhook_id: missing required key 'webhook_id'"])
    expect(problems({ webhook_id: "orders" })).toEqual(["payload: missing required key 'payload'"])
    expect(problems({ webhook_id: "", payload: 1 })).toEqual(["webhook_id: expected a non-empty webhook id, got ''"])
  })

  it("accepts the optional fields in their documented shapes", () => {
    const full = {
      webhook_id: "orders",
      payload: "aGVsbG8=",
      id: "evt_01HQ",
      headers: { "content-type": "application/octet-stream" },
      received_at: "2026-01-31T12:00:00.123+01:00",
      payload_encoding: "base64"
    }
    expect(problems(full)).toEqual([])
    expect(
      problems({ ...full, headers: { a: 1 }, received_at: "yesterday", id: "has space", payload_encoding: "hex" })
    ).toEqual([
      "id: expected an id of 1 to 200 printable characters without spaces, got 'has space'",
      "headers.a: expected a string, got 1",
      "received_at: expected an RFC 3339 timestamp such as 2026-01-31T12:00:00Z, got 'yesterday'",
      "payload_encoding: expected one of 'json', 'base64', got 'hex'"
    ])
  })

  it("requires a base64 string payload with payload_encoding base64", () => {
    expect(problems({ webhook_id: "w", payload: { a: 1 }, payload_encoding: "base64" })).toEqual([
      "payload: with payload_encoding base64 the payload must be a base64 string"
    ])
    expect(problems({ webhook_id: "w", payload: "not base64!", payload_encoding: "base64" })).toEqual([
      "payload: with payload_encoding base64 the payload must be a base64 string"
    ])
  })

  it("ignores fields it does not know (producers may run ahead)", () => {
    expect(problems({ webhook_id: "w", payload: 1, trace: "x" })).toEqual([])
  })
})

describe("looksLikeWebhookEvent (the processor's fast check)", () => {
  const isEvent = Schema.is(WebhookEvent)
  const field = fc.oneof(
    fc.constant(undefined),
    fc.string(),
    fc.integer(),
    fc.constant(null),
    fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    fc.array(fc.string())
  )
  const candidate = fc.record(
    {
      webhook_id: fc.oneof(fc.string(), fc.integer(), fc.constant("")),
      payload: fc.oneof(fc.jsonValue(), fc.base64String()),
      id: fc.oneof(fc.string(), fc.stringMatching(/^[\x21-\x7e]{1,200}$/), field),
      headers: field,
      received_at: fc.oneof(fc.constant("2026-12-06T10:00:00Z"), fc.constant("2026-02-30T00:00:00Z"), field),
      payload_encoding: fc.oneof(fc.constant("json"), fc.constant("base64"), field)
    },
    { requiredKeys: [] }
  )

  it("never says yes where the schema says no", () => {
    fc.assert(
      fc.property(candidate, (value) => {
        if (looksLikeWebhookEvent(value)) expect(isEvent(value)).toBe(true)
      }),
      { numRuns: 5_000 }
    )
  })

  it("says yes for the events producers send (so the schema is not asked per event)", () => {
    const events = [
      { webhook_id: "orders", payload: { n: 1 } },
      {
        webhook_id: "orders",
        id: "evt_1",
        payload: [1, 2],
        headers: { "x-a": "b" },
        received_at: "2026-12-06T10:00:00.123Z"
      },
      { webhook_id: "raw", payload: "aGVsbG8=", payload_encoding: "base64" }
    ]
    for (const e of events) {
      expect(isEvent(e)).toBe(true)
      expect(looksLikeWebhookEvent(e)).toBe(true)
    }
  })
})
