import { describe, expect, it } from "vitest"
import type { StreamDefinition } from "../../../src/config/StreamDefinition.ts"
import { filterFromQuery, redactedEntry, streamRedactors, timeline } from "../../../src/console/dlqViews.ts"
import { streamView } from "../../../src/console/streamViews.ts"
import { decodeDlqEntry } from "../../../src/dlq/DlqEntry.ts"
import { deadLetter, deadLetterOutput } from "../../../src/outcomes/records.ts"

const now = Date.parse("2026-02-01T12:00:00.000Z")

const entry = (event: Parameters<typeof deadLetter>[0]["event"]) => {
  const meta = { source: { topic: "webhooks", partition: 0, offset: "7" }, key: Buffer.from("c-1"), replayCount: 0 }
  const record = deadLetter({
    reason: "invalid_event",
    event,
    meta,
    failedAt: now - 60_000,
    error: { tag: "InvalidEvent", reason: "schema", retryable: false, message: "refused" }
  })
  const out = deadLetterOutput({ results: "r", dlq: "webhooks.dlq" }, record, meta)
  return decodeDlqEntry({
    topic: "webhooks.dlq",
    partition: 1,
    offset: "42",
    key: out.key,
    value: Buffer.from(out.value),
    headers: out.headers,
    timestamp: now
  })
}

const stream = (payload: boolean): StreamDefinition =>
  ({
    plan: {
      webhookId: "orders",
      execution: "sequential",
      continueOnError: false,
      timeoutMs: 30_000,
      maxParallel: 1,
      modules: [
        {
          id: "crm",
          module: "http",
          index: 0,
          connection: "crm",
          timeoutMs: 5_000,
          retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: true },
          config: { url: "https://user:pw@crm.example/hook", headers: { authorization: "Bearer live" } },
          guard: { key: "crm", maxInFlight: 64, maxQueued: 64, failureThreshold: 5, cooldownMs: 30_000 }
        }
      ]
    },
    file: "streams/orders.yaml",
    maxPayloadBytes: 1_024,
    redaction: { fields: ["card_number"], patterns: [], payload },
    tests: []
  }) as StreamDefinition

describe("console DLQ views", () => {
  it("read filters from a query string with the CLI's parser and messages", () => {
    const parsed = filterFromQuery({ webhook: "orders,billing", reason: "chain_failed", since: "2h", module: " " }, now)
    expect(parsed).toEqual({
      _tag: "Ok",
      filter: {
        webhooks: ["orders", "billing"],
        reasons: ["chain_failed"],
        modules: [],
        keys: [],
        since: now - 7_200_000
      }
    })
    const bad = filterFromQuery({ reason: "nope" }, now)
    expect(bad._tag === "Invalid" && bad.message.startsWith("reason: unknown reason nope")).toBe(true)
    expect(filterFromQuery({ since: "yesterday" }, now)._tag).toBe("Invalid")
  })

  it("redact the event's secret fields, its headers and the stream's own fields; never show raw bytes", () => {
    const redactors = streamRedactors([stream(false)])
    const view = redactedEntry(
      entry({
        webhook_id: "orders",
        payload: { order: 1, card_number: "4111", customer: { api_key: "k-123", author: "ann" } },
        headers: { authorization: "Bearer abc", "x-shop-id": "s1" }
      }),
      redactors
    )
    const text = JSON.stringify(view)
    for (const secret of ["4111", "k-123", "Bearer abc"]) expect(text).not.toContain(secret)
    expect(text).toContain('"author":"ann"')
    expect(text).toContain('"x-shop-id":"s1"')
    expect(view.coordinate).toBe("webhooks.dlq:1:42")

    const whole = redactedEntry(
      entry({ webhook_id: "orders", payload: { a: "visible?" } }),
      streamRedactors([stream(true)])
    )
    expect(JSON.stringify(whole)).not.toContain("visible?")

    const raw = redactedEntry(entry({ raw: Buffer.from("password=hunter2").toString("base64") }), redactors)
    expect(JSON.stringify(raw)).not.toContain(Buffer.from("password=hunter2").toString("base64"))
    expect(JSON.stringify(raw)).toContain("16 bytes, not shown")
  })

  it("draw streams without module configs (they hold URLs and credentials)", () => {
    const view = streamView(stream(false))
    expect(JSON.stringify(view)).not.toContain("pw@")
    expect(JSON.stringify(view)).not.toContain("Bearer live")
    expect(view.steps[0]).toMatchObject({ id: "crm", module: "http", connection: "crm", timeoutMs: 5_000 })
    expect(view.steps[0]?.circuit.label).toBe("crm")
  })

  it("bucket failure times into a timeline from the oldest to now", () => {
    const { timeline: buckets, bucketMs } = timeline([now - 30_000, now - 25_000, now - 5_000], now)
    expect(bucketMs).toBe(1_000)
    expect(buckets.length).toBe(31)
    expect(buckets[0]?.count).toBe(1)
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(3)
    expect(buckets.at(-1)?.t).toBe(now)
    const days = timeline([now - 3 * 86_400_000], now)
    expect(days.bucketMs).toBe(21_600_000)
    expect(days.timeline.length).toBeLessThanOrEqual(48)
    expect(timeline([], now).timeline.length).toBe(11)
  })
})
