import { describe, expect, it } from "vitest"
import { messageBody, messageHeaders } from "../../../src/modules/brokerMessage.ts"
import type { Delivery } from "../../../src/modules/Destination.ts"

const delivery = (overrides: Partial<Delivery> = {}): Delivery => ({
  eventId: "evt-1",
  webhookId: "orders",
  moduleId: "step-0",
  idempotencyKey: "evt-1:step-0",
  attempt: 1,
  payload: { a: 1 },
  payloadEncoding: "json",
  headers: { "X-Request-Id": "r-1", cookie: "c", "hookstream-event-id": "spoofed" },
  config: {},
  ...overrides
})

describe("brokerMessage", () => {
  it("body: JSON text, or the raw bytes of a base64 payload", () => {
    expect(messageBody(delivery())).toEqual({ bytes: Buffer.from('{"a":1}'), contentType: "application/json" })
    const raw = messageBody(delivery({ payload: Buffer.from([0, 255]).toString("base64"), payloadEncoding: "base64" }))
    expect(raw.contentType).toBe("application/octet-stream")
    expect([...raw.bytes]).toEqual([0, 255])
  })

  it("headers: forwarded (case-insensitive) < configured < identity; nothing forwarded unless named", () => {
    expect(messageHeaders(delivery(), {})).toEqual({
      "hookstream-event-id": "evt-1",
      "hookstream-webhook-id": "orders",
      "hookstream-idempotency-key": "evt-1:step-0"
    })
    const h = messageHeaders(
      delivery({ traceparent: "00-abc-def-01" }),
      { "x-tenant": "acme", "hookstream-webhook-id": "configured" },
      ["x-request-id", "hookstream-event-id"]
    )
    expect(h).toEqual({
      "X-Request-Id": "r-1",
      "x-tenant": "acme",
      "hookstream-event-id": "evt-1",
      "hookstream-webhook-id": "orders",
      "hookstream-idempotency-key": "evt-1:step-0",
      traceparent: "00-abc-def-01"
    })
    expect(Object.keys(messageHeaders(delivery(), {}, ["*"]))).toContain("cookie")
  })
})
