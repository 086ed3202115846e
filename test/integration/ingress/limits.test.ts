/**
 * Every limit of the ingress against a real broker: unknown ids, body size (declared and
 * chunked), the envelope size, media types, JSON validity and depth, header count and bytes,
 * rate limits (per stream and per client IP) and the in-flight cap; then what a 202 puts on
 * the topic (key, headers, envelope). Last, the topic holds exactly the 202s.
 */
import { randomUUID } from "node:crypto"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { WebhookEvent } from "../../../src/domain/WebhookEvent.ts"
import { consumeRecords, createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { rawPost, recordsOnTopic, startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const LIMIT = 2048
const config = streamsFrom({
  "open.yaml": `id: t-open\nmax_payload_size: ${LIMIT}B\ningress: { key: /customer/id }\nchain: [{ module: log }]\n`,
  "raw.yaml": "id: t-raw\ningress: { allow_raw: true }\nchain: [{ module: log }]\n",
  "rate.yaml": "id: t-rate\ningress: { rate_limit: { per_second: 0.5, burst: 2 } }\nchain: [{ module: log }]\n",
  "rate-ip.yaml":
    "id: t-rate-ip\ningress: { rate_limit: { per_second: 0.5, burst: 1, per_ip: true } }\nchain: [{ module: log }]\n",
  "off.yaml": "id: t-off\ningress: { enabled: false }\nchain: [{ module: log }]\n",
  "internal.yaml": "id: t-internal\nchain: [{ module: log }]\n"
})

const topic = uniqueName("ingress-limits")
const kafka = testKafka("ingress-limits-test")
let ingress: TestIngress
const accepted: Array<string> = []
const refused: Array<string> = []
const MAX_IN_FLIGHT = 4

const post = async (webhookId: string, body: string | Uint8Array, headers: Record<string, string> = {}) => {
  const delivery = randomUUID()
  const response = await ingress.post(webhookId, {
    headers: { "content-type": "application/json", "x-github-delivery": delivery, ...headers },
    body
  })
  const text = await response.text()
  // these streams sign nothing, so the event id is the ingress's own ULID (the delivery header is just a header)
  const eventId = response.status === 202 ? (JSON.parse(text) as { event_id: string }).event_id : undefined
  if (eventId === undefined) refused.push(delivery)
  else accepted.push(eventId)
  return { status: response.status, text, headers: response.headers, delivery, eventId }
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

beforeAll(async () => {
  await createTopics(kafka, [{ topic }])
  ingress = await startTestIngress(config, {
    brokers: kafkaBrokers(),
    topic,
    maxInFlight: MAX_IN_FLIGHT,
    maxHeaders: 40,
    maxHeaderBytes: 4096,
    trustProxy: ["127.0.0.1", "::1"]
  })
  await ingress.ready()
})

afterAll(async () => {
  await ingress?.close()
})

describe("routing", () => {
  it("404 for an unknown id, a disabled ingress, a stream without an ingress section, other methods", async () => {
    expect((await post("no-such-stream", "{}")).status).toBe(404)
    // before its body is read: a large one is still a 404, not a 413
    expect((await post("no-such-stream", JSON.stringify({ pad: "x".repeat(64 * 1024) }))).status).toBe(404)
    expect((await post("t-off", "{}")).status).toBe(404)
    expect((await post("t-internal", "{}")).status).toBe(404)
    expect((await fetch(`${ingress.url}/webhooks/t-open`)).status).toBe(404)
    expect((await fetch(`${ingress.url}/metrics`)).status).toBe(404)
  })
})

describe("body size", () => {
  it("a body at the limit is read; one byte over → 413 (declared length)", async () => {
    // the envelope adds to the body, so a body of exactly LIMIT bytes fails the envelope check
    // instead; that 413 carries its own message
    const over = JSON.stringify({ pad: "x".repeat(LIMIT) }).slice(0, LIMIT + 1)
    const result = await post("t-open", over)
    expect(result.status).toBe(413)
    expect(JSON.parse(result.text)).toEqual({ error: "payload too large" })
  })

  it("a chunked body that grows past the limit → 413", async () => {
    const { response } = rawPost(`${ingress.url}/webhooks/t-open`, {
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      parts: ['{"pad":"', "y".repeat(LIMIT), '"}']
    })
    expect((await response).status).toBe(413)
  })

  it("a body under the limit whose envelope (payload + headers) would exceed it → 413, as the processor would refuse it", async () => {
    const body = JSON.stringify({ customer: { id: "c" }, pad: "z".repeat(LIMIT - 200) })
    expect(Buffer.byteLength(body)).toBeLessThan(LIMIT)
    const result = await post("t-open", body)
    expect(result.status).toBe(413)
    expect(result.text).toContain("max_payload_size")
  })

  it("a body comfortably under the limit → 202", async () => {
    expect((await post("t-open", JSON.stringify({ customer: { id: "c-1" }, pad: "p".repeat(500) }))).status).toBe(202)
  })
})

describe("media types and JSON", () => {
  it("invalid JSON → 400; empty JSON body → 400", async () => {
    expect((await post("t-open", "{not json")).status).toBe(400)
    expect((await post("t-open", "")).status).toBe(400)
  })

  it("depth 50 → 202; depth 51 → 400", async () => {
    expect((await post("t-open", nested(50))).status).toBe(202)
    const deep = await post("t-open", nested(51))
    expect(deep.status).toBe(400)
    expect(JSON.parse(deep.text)).toEqual({ error: "the JSON nests deeper than 50 levels" })
  })

  it("a JSON body that is not UTF-8 → 400, nothing stored (a raw body keeps its bytes: see the topic below)", async () => {
    const body = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])
    const result = await post("t-open", body)
    expect(result.status).toBe(400)
    expect(JSON.parse(result.text)).toEqual({ error: "the body is not valid UTF-8" })
    expect((await post("t-open", '{"a":"€ 😀"}')).status).toBe(202)
  })

  it("a non-JSON type → 415 unless the stream allows raw bodies (→ 202, forwarded as base64)", async () => {
    expect((await post("t-open", "plain text", { "content-type": "text/plain" })).status).toBe(415)
    const raw = await post("t-raw", Buffer.from([0, 1, 2, 255]), { "content-type": "application/octet-stream" })
    expect(raw.status).toBe(202)
  })

  it("application/*+json and a missing Content-Type are JSON", async () => {
    expect((await post("t-open", '{"a":1}', { "content-type": "application/vnd.api+json" })).status).toBe(202)
    const response = await fetch(`${ingress.url}/webhooks/t-open`, {
      method: "POST",
      headers: { "x-github-delivery": randomUUID() },
      body: new TextEncoder().encode('{"untyped":true}')
    })
    expect(response.status).toBe(202)
    accepted.push(((await response.json()) as { event_id: string }).event_id)
  })
})

describe("headers", () => {
  it("more header fields than allowed → 431", async () => {
    const many = Object.fromEntries(Array.from({ length: 45 }, (_, i) => [`x-filler-${i}`, "1"]))
    expect((await post("t-open", "{}", many)).status).toBe(431)
  })

  it("more header bytes than allowed → 431", async () => {
    const { response } = rawPost(`${ingress.url}/webhooks/t-open`, {
      headers: { "content-type": "application/json", "x-big": "b".repeat(5000), "content-length": 2 },
      parts: ["{}"]
    })
    expect((await response).status).toBe(431)
  })

  it("a malformed header line → 400", async () => {
    const { connect } = await import("node:net")
    const port = Number(new URL(ingress.url).port)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write("POST /webhooks/t-open HTTP/1.1\r\nHost: x\r\nBad Header\r\nContent-Length: 2\r\n\r\n{}")
      })
      let data = ""
      socket.on("data", (d) => {
        data += d.toString()
      })
      socket.on("close", () => resolve(data))
      socket.on("error", reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
  })
})

describe("rate limits", () => {
  it("per stream: the burst passes, then 429 with Retry-After", async () => {
    expect((await post("t-rate", "{}")).status).toBe(202)
    expect((await post("t-rate", "{}")).status).toBe(202)
    const limited = await post("t-rate", "{}")
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1)
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(2)
  })

  it("per client IP (behind a trusted proxy): one client's burst does not spend another's", async () => {
    const from = (ip: string) => ({ "x-forwarded-for": ip })
    expect((await post("t-rate-ip", "{}", from("203.0.113.1"))).status).toBe(202)
    expect((await post("t-rate-ip", "{}", from("203.0.113.1"))).status).toBe(429)
    expect((await post("t-rate-ip", "{}", from("203.0.113.2"))).status).toBe(202)
  })
})

describe("in-flight cap", () => {
  it("requests past the cap → 503 with Retry-After while the others are in flight; then 202 again", async () => {
    // each held request has its headers in (its slot taken) and its body half sent
    const held = Array.from({ length: MAX_IN_FLIGHT }, () => {
      const delivery = randomUUID()
      const body = JSON.stringify({ held: delivery })
      const request = rawPost(`${ingress.url}/webhooks/t-open`, {
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "x-github-delivery": delivery
        },
        parts: [body.slice(0, 5), body.slice(5)],
        hold: true
      })
      return { delivery, ...request }
    })
    await waitFor(() => ingress.inFlight() === MAX_IN_FLIGHT, { description: () => `in flight ${ingress.inFlight()}` })
    const over = await post("t-open", "{}")
    expect(over.status).toBe(503)
    expect(over.headers.get("retry-after")).toBe("5")
    for (const h of held) h.release()
    for (const h of held) {
      const answer = await h.response
      expect(answer.status).toBe(202)
      accepted.push((JSON.parse(answer.body) as { event_id: string }).event_id)
    }
    await waitFor(() => ingress.inFlight() === 0, { description: () => `in flight ${ingress.inFlight()}` })
    expect((await post("t-open", "{}")).status).toBe(202)
  })
})

describe("what a 202 puts on the topic", () => {
  it("the envelope, the key from the pointer, the correlation id and the trace context", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const result = await post("t-open", '{"customer": {"id": "cust-42"}, "big": 12345678901234567890}', {
      "x-request-id": "req-abc",
      traceparent,
      tracestate: "rojo=00f067aa0ba902b7",
      authorization: "Bearer must-not-be-copied"
    })
    expect(result.status).toBe(202)
    expect(result.headers.get("x-request-id")).toBe("req-abc")
    const records = await consumeRecords(kafka, { topic, count: accepted.length })
    const record = records.find((r) => r.value?.includes(result.delivery))
    expect(record?.key).toBe("cust-42")
    expect(record?.headers["x-correlation-id"]?.toString()).toBe("req-abc")
    expect(record?.headers["traceparent"]?.toString()).toBe(traceparent)
    expect(record?.headers["tracestate"]?.toString()).toBe("rojo=00f067aa0ba902b7")
    expect(record?.value).toContain('"payload":{"customer": {"id": "cust-42"}, "big": 12345678901234567890}')
    const event = Schema.decodeUnknownSync(WebhookEvent)(JSON.parse(record?.value ?? "{}"))
    expect(event).toMatchObject({ webhook_id: "t-open", id: result.eventId, payload: { customer: { id: "cust-42" } } })
    expect(event.headers?.["x-request-id"]).toBe("req-abc")
    expect(event.headers?.["authorization"]).toBeUndefined()
    expect(Date.now() - Date.parse(event.received_at ?? "")).toBeLessThan(60_000)
  })

  it("a generated correlation id when none is sent, returned as X-Request-Id", async () => {
    const result = await post("t-open", '{"customer": {"id": 7}}')
    expect(result.status).toBe(202)
    expect(result.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe("the topic afterwards", () => {
  it("holds exactly the accepted events, once each, nothing of any refused request", async () => {
    const records = await consumeRecords(kafka, { topic, count: accepted.length })
    const ids = records.map((r) => (JSON.parse(r.value ?? "{}") as { id: string }).id)
    expect(ids.sort()).toEqual([...accepted].sort())
    expect(await recordsOnTopic(kafka, topic)).toBe(accepted.length)
    for (const id of refused) expect(ids).not.toContain(id)
    const raw = records.find((r) => r.value?.includes('"payload_encoding":"base64"'))
    expect(JSON.parse(raw?.value ?? "{}")).toMatchObject({ payload_encoding: "base64", payload: "AAEC/w==" })
  })
})
