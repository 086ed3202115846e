/** Event ids, media types, JSON limits, the Kafka key pointer, the envelope and the in-flight cap. */
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { WebhookEvent } from "../../../src/domain/WebhookEvent.ts"
import { envelopeHeaders, envelopeValue, traceHeaders } from "../../../src/ingress/envelope.ts"
import { providerEventId, ulid } from "../../../src/ingress/eventId.ts"
import { makeInFlight, type Slot } from "../../../src/ingress/inFlight.ts"
import { kafkaKeyFrom, resolvePointer } from "../../../src/ingress/kafkaKey.ts"
import { headerCount, isJsonMediaType, parseJsonBody } from "../../../src/ingress/limits.ts"

const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth)

describe("ULID", () => {
  it("is 26 Crockford base32 characters whose first ten encode the time", () => {
    const id = ulid(1_469_918_176_385, Buffer.alloc(10))
    // the ULID spec's example time 1469918176385 encodes as 01ARYZ6S41
    expect(id).toBe(`01ARYZ6S41${"0".repeat(16)}`)
    expect(ulid(0, Buffer.alloc(10, 0xff))).toBe("0".repeat(10) + "Z".repeat(16))
    expect(ulid()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  it("sorts by time and differs within one millisecond", () => {
    expect(ulid(1000) < ulid(2000)).toBe(true)
    const [a, b] = [ulid(5), ulid(5)]
    expect(a).not.toBe(b)
  })
})

describe("provider event ids", () => {
  const forged = {
    "x-github-delivery": "forged-1",
    "webhook-id": "forged-2",
    "svix-id": "forged-3",
    "x-gitlab-event-uuid": "forged-4",
    "x-shopify-webhook-id": "forged-5"
  }

  it("come only from what the stream's signature covers", () => {
    expect(providerEventId({ ...forged, "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek" }, {}, "standard_webhooks")).toBe(
      "msg_p5jXN8AQM9LWM0D4loKWxJek"
    )
    expect(providerEventId(forged, { id: "evt_1", object: "event" }, "stripe")).toBe("evt_1")
    // GitHub signs no header; its delivery id counts on GitHub-verified streams only
    expect(providerEventId({ ...forged, "x-github-delivery": "72d3162e-cc78" }, { id: "evt_1" }, "github")).toBe(
      "72d3162e-cc78"
    )
  })

  it("never from a header the stream's auth does not sign: those events get a ULID", () => {
    for (const style of [undefined, "stripe"]) expect(providerEventId(forged, {}, style)).toBeUndefined()
    expect(providerEventId({ "svix-id": "forged-3" }, {}, "standard_webhooks")).toBeUndefined()
    expect(providerEventId({ "webhook-id": "forged-2" }, {}, "github")).toBeUndefined()
    expect(providerEventId({}, { id: "cus_1" }, "stripe")).toBeUndefined()
    expect(providerEventId({}, { id: "evt_1" }, undefined)).toBeUndefined()
  })

  it("ignore unusable values (spaces, too long), leaving a ULID to be generated", () => {
    expect(providerEventId({ "x-github-delivery": "has space" }, {}, "github")).toBeUndefined()
    expect(providerEventId({ "webhook-id": "x".repeat(201) }, {}, "standard_webhooks")).toBeUndefined()
    expect(providerEventId({}, { id: "evt_ with space" }, "stripe")).toBeUndefined()
    expect(providerEventId({}, undefined, undefined)).toBeUndefined()
  })
})

describe("media types and JSON", () => {
  it("counts application/json, +json types and a missing type as JSON", () => {
    expect(isJsonMediaType("application/json")).toBe(true)
    expect(isJsonMediaType("application/json; charset=utf-8")).toBe(true)
    expect(isJsonMediaType("Application/JSON")).toBe(true)
    expect(isJsonMediaType("application/vnd.api+json")).toBe(true)
    expect(isJsonMediaType(undefined)).toBe(true)
    expect(isJsonMediaType("text/plain")).toBe(false)
    expect(isJsonMediaType("application/x-www-form-urlencoded")).toBe(false)
    expect(isJsonMediaType("application/jsonx")).toBe(false)
  })

  it("keeps the JSON text as sent (big numbers keep their digits), dropping a BOM", () => {
    const parsed = parseJsonBody(Buffer.from('\ufeff{"n": 12345678901234567890}'))
    expect(parsed).toMatchObject({ ok: true, text: '{"n": 12345678901234567890}' })
  })

  it("refuses invalid JSON, an empty body, and nesting past 50 (50 itself passes)", () => {
    expect(parseJsonBody(Buffer.from("{nope"))).toMatchObject({ ok: false })
    expect(parseJsonBody(Buffer.alloc(0))).toMatchObject({ ok: false })
    expect(parseJsonBody(Buffer.from(nested(50)))).toMatchObject({ ok: true })
    expect(parseJsonBody(Buffer.from(nested(51)))).toEqual({
      ok: false,
      problem: "the JSON nests deeper than 50 levels"
    })
  })

  it("refuses bytes that are not UTF-8 (a lone 0xff, an overlong form, a lone surrogate); multi-byte UTF-8 passes", () => {
    const utf8 = { ok: false, problem: "the body is not valid UTF-8" }
    const inString = (...bytes: Array<number>) =>
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')])
    expect(parseJsonBody(inString(0xff, 0xfe))).toEqual(utf8)
    expect(parseJsonBody(inString(0xc0, 0xaf))).toEqual(utf8)
    expect(parseJsonBody(inString(0xed, 0xa0, 0x80))).toEqual(utf8)
    // cut off in the middle of a sequence
    expect(parseJsonBody(inString(0xe2, 0x82))).toEqual(utf8)
    expect(parseJsonBody(Buffer.from('{"a":"€ 😀 ü"}'))).toEqual({
      ok: true,
      text: '{"a":"€ 😀 ü"}',
      value: { a: "€ 😀 ü" }
    })
    // an escaped lone surrogate is valid JSON text in valid UTF-8: not this check's business
    expect(parseJsonBody(Buffer.from('{"a":"\\ud800"}'))).toMatchObject({ ok: true })
  })

  it("counts header fields from Node's raw list", () => {
    expect(headerCount(["host", "x", "a", "1", "a", "2"])).toBe(3)
  })
})

describe("Kafka key from a JSON Pointer", () => {
  const doc = { customer: { id: "c-1", "a/b": 7, "m~n": true }, items: [{ sku: "s-1" }], none: null }

  it("follows RFC 6901, escapes included", () => {
    expect(resolvePointer(doc, "/customer/id")).toBe("c-1")
    expect(resolvePointer(doc, "/customer/a~1b")).toBe(7)
    expect(resolvePointer(doc, "/customer/m~0n")).toBe(true)
    expect(resolvePointer(doc, "/items/0/sku")).toBe("s-1")
    expect(resolvePointer(doc, "/items/01/sku")).toBeUndefined()
    expect(resolvePointer(doc, "/items/-")).toBeUndefined()
    expect(resolvePointer(doc, "/missing/x")).toBeUndefined()
  })

  it("never follows inherited properties", () => {
    expect(resolvePointer({}, "/constructor")).toBeUndefined()
    expect(resolvePointer({}, "/__proto__")).toBeUndefined()
  })

  it("keys by strings as they are, numbers and booleans as JSON, and nothing else", () => {
    expect(kafkaKeyFrom(doc, "/customer/id")).toBe("c-1")
    expect(kafkaKeyFrom(doc, "/customer/a~1b")).toBe("7")
    expect(kafkaKeyFrom(doc, "/customer/m~0n")).toBe("true")
    expect(kafkaKeyFrom(doc, "/customer")).toBeNull()
    expect(kafkaKeyFrom(doc, "/none")).toBeNull()
    expect(kafkaKeyFrom(doc, "/missing")).toBeNull()
    expect(kafkaKeyFrom(doc, undefined)).toBeNull()
  })
})

describe("the envelope", () => {
  const decode = Schema.decodeUnknownSync(WebhookEvent)

  it("is a valid WebhookEvent with the payload spliced in verbatim", () => {
    const value = envelopeValue({
      webhookId: "orders",
      eventId: "e-1",
      receivedAt: "2026-01-31T12:00:00.000Z",
      headers: { "x-github-event": "push" },
      payload: { encoding: "json", text: '{"n": 12345678901234567890, "s": "\\u2028"}' }
    })
    expect(value).toContain('"payload":{"n": 12345678901234567890, "s": "\\u2028"}')
    expect(decode(JSON.parse(value))).toEqual({
      webhook_id: "orders",
      id: "e-1",
      received_at: "2026-01-31T12:00:00.000Z",
      headers: { "x-github-event": "push" },
      payload: { n: JSON.parse("12345678901234567890"), s: "\u2028" }
    })
  })

  it("carries raw bodies as base64 with payload_encoding", () => {
    const value = envelopeValue({
      webhookId: "w",
      eventId: "e",
      receivedAt: "2026-01-31T12:00:00.000Z",
      headers: {},
      payload: { encoding: "base64", base64: Buffer.from([0, 255, 10]).toString("base64") }
    })
    expect(decode(JSON.parse(value))).toMatchObject({ payload_encoding: "base64", payload: "AP8K" })
  })

  it("keeps request headers but never credentials", () => {
    expect(
      envelopeHeaders({
        authorization: "Bearer x",
        cookie: "a=b",
        "proxy-authorization": "x",
        "x-a": "1",
        "x-b": ["1", "2"]
      })
    ).toEqual({ "x-a": "1", "x-b": "1, 2" })
  })

  it("passes a well-formed traceparent (and its tracestate) on, and nothing malformed", () => {
    const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    expect(traceHeaders(tp, "vendor=1")).toEqual({ traceparent: tp, tracestate: "vendor=1" })
    expect(traceHeaders(tp.toUpperCase(), undefined)).toEqual({ traceparent: tp })
    expect(traceHeaders("00-00000000000000000000000000000000-b7ad6b7169203331-01", "x")).toEqual({})
    expect(traceHeaders("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", undefined)).toEqual({})
    expect(traceHeaders("garbage", "x")).toEqual({})
    expect(traceHeaders(undefined, "x")).toEqual({})
  })
})

describe("in-flight slots", () => {
  it("caps concurrent slots and frees one only when its last holder releases it", () => {
    const counts: Array<number> = []
    const inFlight = makeInFlight(2, ["s"], (n) => counts.push(n))
    const a = inFlight.tryAcquire("s")
    const b = inFlight.tryAcquire("s")
    expect(inFlight.tryAcquire("s")).toBeUndefined()
    a?.hold() // the producer holds the record after the answer went out
    a?.release()
    expect(inFlight.tryAcquire("s")).toBeUndefined()
    a?.release()
    expect(inFlight.count()).toBe(1)
    a?.release() // extra releases are ignored
    expect(inFlight.count()).toBe(1)
    expect(inFlight.tryAcquire("s")).toBeDefined()
    b?.release()
    expect(counts).toEqual([1, 2, 1, 2, 1])
  })

  it("a flood on one stream leaves every other stream its reserve; the total never passes the cap", () => {
    // 1,024 slots, 4 streams: a reserve of 128 each, 512 shared
    const inFlight = makeInFlight(1_024, ["flood", "b", "c", "d"])
    const flood: Array<Slot> = []
    for (let s = inFlight.tryAcquire("flood"); s !== undefined; s = inFlight.tryAcquire("flood")) flood.push(s)
    expect(flood.length).toBe(128 + 512)
    for (const other of ["b", "c", "d"]) {
      const got = Array.from({ length: 200 }, () => inFlight.tryAcquire(other)).filter((s) => s !== undefined)
      expect(got.length).toBe(128)
    }
    expect(inFlight.count()).toBe(1_024)
    // a slot the flood gives back returns to the shared part: anyone may take it, once
    flood.pop()?.release()
    expect(inFlight.tryAcquire("b")).toBeDefined()
    expect(inFlight.tryAcquire("flood")).toBeUndefined()
    for (const s of flood) s.release()
    expect(inFlight.count()).toBe(3 * 128 + 1)
    expect(inFlight.tryAcquire("flood")).toBeDefined()
  })

  it("one stream may use the whole cap; a cap smaller than the streams is shared only", () => {
    const alone = makeInFlight(10, ["only"])
    expect(Array.from({ length: 12 }, () => alone.tryAcquire("only")).filter(Boolean).length).toBe(10)
    const tiny = makeInFlight(3, ["a", "b", "c", "d"])
    expect(Array.from({ length: 5 }, () => tiny.tryAcquire("a")).filter(Boolean).length).toBe(3)
    expect(tiny.tryAcquire("b")).toBeUndefined()
  })
})
