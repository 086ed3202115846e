/** Key, value and headers of the kafka destination's records. */
import { describe, expect, it } from "vitest"
import { DestinationError } from "../../../../src/domain/DestinationError.ts"
import type { Delivery } from "../../../../src/modules/Destination.ts"
import { type KafkaRecordConfig, recordFor, valueAt } from "../../../../src/modules/kafka/recordFor.ts"

const config = (extra: Partial<KafkaRecordConfig> = {}): KafkaRecordConfig => ({
  topic: "t",
  headers: {},
  forward_headers: [],
  ...extra
})

const delivery = (
  c: KafkaRecordConfig,
  extra: Partial<Delivery<KafkaRecordConfig>> = {}
): Delivery<KafkaRecordConfig> => ({
  eventId: "e-1",
  webhookId: "orders",
  moduleId: "to-kafka",
  idempotencyKey: "e-1:to-kafka",
  attempt: 1,
  payload: { customer: { id: "c-9", "a/b": "slash", "m~n": "tilde" }, items: [{ sku: "x" }] },
  payloadEncoding: "json",
  headers: {},
  config: c,
  ...extra
})

describe("recordFor", () => {
  it("JSON Pointer tokens unescape ~1 and ~0 and index arrays", () => {
    const doc = delivery(config()).payload
    expect(valueAt(doc, "/customer/a~1b")).toBe("slash")
    expect(valueAt(doc, "/customer/m~0n")).toBe("tilde")
    expect(valueAt(doc, "/items/0/sku")).toBe("x")
    expect(valueAt(doc, "/items/01/sku")).toBeUndefined()
    expect(valueAt(doc, "/customer/missing")).toBeUndefined()
  })

  it("the key: template, pointer, or the input key (null without one)", () => {
    const keyOf = (c: KafkaRecordConfig, extra = {}) => {
      const record = recordFor(delivery(c, extra))
      return record instanceof DestinationError ? record.reason : record.key
    }
    expect(keyOf(config({ key: "{webhook_id}:{key}:{event_id}" }), { key: "k" })).toBe("orders:k:e-1")
    expect(keyOf(config({ key: "{key}" }))).toBe("")
    expect(keyOf(config({ key_from: "/customer/id" }))).toBe("c-9")
    expect(keyOf(config({ key_from: "/customer" }))).toBe("invalid_payload")
    expect(keyOf(config({ key_from: "/customer/id" }), { payloadEncoding: "base64", payload: "AA==" })).toBe(
      "invalid_payload"
    )
    expect(keyOf(config(), { key: "input" })).toBe("input")
    expect(keyOf(config())).toBeNull()
  })

  it("hookstream's headers cannot be forwarded or configured over", () => {
    const record = recordFor(
      delivery(config({ headers: { "hookstream-event-id": "cfg", "X-Team": "a" }, forward_headers: ["*"] }), {
        headers: { "hookstream-idempotency-key": "fwd", traceparent: "fwd", "x-request-id": "r" }
      })
    )
    if (record instanceof DestinationError) throw record
    expect(record.headers).toEqual({
      "x-team": "a",
      "x-request-id": "r",
      "hookstream-idempotency-key": "e-1:to-kafka",
      "hookstream-event-id": "e-1",
      "hookstream-webhook-id": "orders"
    })
  })
})
