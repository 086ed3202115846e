import { Result, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { formatPath, reportIssues, reportingParseOptions } from "../../../src/domain/SchemaIssues.ts"
import { WebhookEvent } from "../../../src/domain/WebhookEvent.ts"

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
