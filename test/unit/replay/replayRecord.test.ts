import { describe, expect, it } from "vitest"
import { type DlqEntry, decodeDlqEntry } from "../../../src/dlq/DlqEntry.ts"
import * as H from "../../../src/domain/KafkaHeaders.ts"
import {
  deadLetter,
  deadLetterOutput,
  type RecordMeta,
  recordBytes,
  resultRecord
} from "../../../src/outcomes/records.ts"
import { countEntry, makeReplayCounts, mayCount } from "../../../src/replay/ReplayCounts.ts"
import { decideReplay } from "../../../src/replay/replayRecord.ts"

const meta: RecordMeta = {
  source: { topic: "webhooks", partition: 2, offset: "41" },
  key: Buffer.from("customer-9"),
  replayCount: 1,
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  tracestate: "vendor=1",
  correlationId: "corr-1"
}

const asEntry = (record: ReturnType<typeof deadLetter>): DlqEntry => {
  const out = deadLetterOutput({ results: "r", dlq: "webhooks.dlq" }, record, meta)
  return decodeDlqEntry({
    topic: "webhooks.dlq",
    partition: 0,
    offset: "7",
    key: out.key,
    value: Buffer.from(out.value),
    headers: out.headers,
    timestamp: 0
  })
}

const partial = (envelope: { webhook_id: string; payload: unknown; id?: string; headers?: Record<string, string> }) => {
  const eventId = envelope.id ?? "webhooks-2-41"
  const result = resultRecord(
    eventId,
    envelope.webhook_id,
    {
      status: "partial",
      startedAt: 0,
      finishedAt: 10,
      modules: [
        { id: "store", module: "postgresql", status: "succeeded", attempts: 1, duration_ms: 2 },
        {
          id: "notify",
          module: "http",
          status: "failed",
          attempts: 3,
          duration_ms: 5,
          error: { tag: "DestinationError", reason: "unavailable", retryable: true, message: "503" }
        },
        { id: "audit", module: "log", status: "timed_out", attempts: 1, duration_ms: 5 }
      ]
    },
    meta
  )
  return asEntry(
    deadLetter({
      reason: "chain_failed",
      event: envelope,
      meta,
      failedAt: 10,
      result,
      eventId,
      webhookId: envelope.webhook_id
    })
  )
}

const publish = (entry: DlqEntry, options: Partial<Parameters<typeof decideReplay>[1]> = {}) => {
  const decision = decideReplay(entry, { inputTopic: "webhooks", allModules: false, ...options })
  if (decision._tag !== "Publish") throw new Error(decision._tag)
  return decision.message
}

describe("the replayed record", () => {
  it("is the original envelope with the derived id made explicit, so idempotency keys do not change", () => {
    const m = publish(partial({ webhook_id: "orders", payload: { n: 1 }, headers: { "x-github-event": "push" } }))
    expect(m.topic).toBe("webhooks")
    expect(m.key?.toString()).toBe("customer-9")
    expect(JSON.parse(String(m.value))).toEqual({
      webhook_id: "orders",
      payload: { n: 1 },
      headers: { "x-github-event": "push" },
      id: "webhooks-2-41"
    })
  })

  it("keeps an envelope's own id as it was", () => {
    const m = publish(partial({ webhook_id: "orders", id: "evt-1", payload: [1, 2] }))
    expect(JSON.parse(String(m.value))).toEqual({ webhook_id: "orders", id: "evt-1", payload: [1, 2] })
  })

  it("runs only the failed modules (in chain order), counts the replay and carries trace headers", () => {
    const m = publish(partial({ webhook_id: "orders", payload: {} }))
    expect(m.headers).toEqual({
      [H.TRACEPARENT]: meta.traceparent,
      [H.TRACESTATE]: "vendor=1",
      [H.CORRELATION_ID]: "corr-1",
      [H.REPLAY_COUNT]: "2",
      [H.ONLY_MODULES]: "notify,audit",
      [H.REPLAY_OF]: "webhooks.dlq:0:7"
    })
  })

  it("--all-modules leaves the header out, so the whole chain runs", () => {
    expect(
      publish(partial({ webhook_id: "orders", payload: {} }), { allModules: true }).headers[H.ONLY_MODULES]
    ).toBeUndefined()
  })

  it("dead letters without failed modules (refused events) run the whole chain", () => {
    const entry = asEntry(
      deadLetter({
        reason: "unknown_webhook",
        event: { webhook_id: "new-stream", payload: {} },
        meta,
        failedAt: 1,
        error: { tag: "InvalidEvent", reason: "unknown_webhook", retryable: false, message: "no stream" },
        eventId: "webhooks-2-41",
        webhookId: "new-stream"
      })
    )
    expect(publish(entry).headers[H.ONLY_MODULES]).toBeUndefined()
  })

  it("undecodable events are replayed as their original bytes", () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef])
    const entry = asEntry(
      deadLetter({
        reason: "invalid_event",
        event: { raw: bytes.toString("base64") },
        meta,
        failedAt: 1,
        error: { tag: "InvalidEvent", reason: "not_json", retryable: false, message: "not JSON" }
      })
    )
    expect(publish(entry).value).toEqual(bytes)
  })

  it("--max-replays: events replayed that many times are skipped; other records are not replayable", () => {
    const entry = partial({ webhook_id: "orders", payload: {} })
    expect(decideReplay(entry, { inputTopic: "w", allModules: false, maxReplays: 1 })).toEqual({
      _tag: "TooManyReplays",
      replayCount: 1
    })
    expect(decideReplay(entry, { inputTopic: "w", allModules: false, maxReplays: 2 })._tag).toBe("Publish")
    const junk = decodeDlqEntry({
      topic: "d",
      partition: 0,
      offset: "1",
      key: null,
      value: Buffer.from("{}"),
      headers: {},
      timestamp: 0
    })
    expect(decideReplay(junk, { inputTopic: "w", allModules: false })._tag).toBe("Undecodable")
  })
})

describe("--max-replays counts by event id", () => {
  // `partial` is a dead letter with replay count 1 (meta.replayCount) of event "first-gen"
  const first = () => partial({ webhook_id: "orders", payload: {}, id: "first-gen" })

  it("the event's count (from its other dead letters) decides, and the published count continues it", () => {
    const entry = first()
    const options = { inputTopic: "w", allModules: false, maxReplays: 3 }
    expect(decideReplay(entry, { ...options, eventReplayCount: 3 })).toEqual({
      _tag: "TooManyReplays",
      replayCount: 3
    })
    const decision = decideReplay(entry, { ...options, eventReplayCount: 2 })
    expect(decision._tag === "Publish" && decision.message.headers[H.REPLAY_COUNT]).toBe("3")
    // a lower event count never lowers the record's own
    const own = decideReplay(entry, { ...options, eventReplayCount: 0 })
    expect(own._tag === "Publish" && own.message.headers[H.REPLAY_COUNT]).toBe("2")
  })

  it("holds the highest count seen per event, raised by this run's publications; never-replayed events hold nothing", () => {
    const counts = makeReplayCounts()
    counts.see("a", 2)
    counts.see("a", 1)
    counts.see("b", 1)
    expect([counts.countOf("a"), counts.countOf("b"), counts.countOf("c")]).toEqual([2, 1, 0])
    counts.published("b", 2)
    counts.published("a", 1)
    expect([counts.countOf("a"), counts.countOf("b")]).toEqual([2, 2])
    countEntry(counts, first())
    expect(counts.countOf("first-gen")).toBe(1)
    expect(counts.size()).toBe(3)
  })

  it("only parses records whose header says they were replayed (or that have no header)", () => {
    const raw = (headers: Record<string, string>) => ({
      topic: "d",
      partition: 0,
      offset: "0",
      key: null,
      value: null,
      headers,
      timestamp: 0
    })
    expect(mayCount(raw({ [H.REPLAY_COUNT]: "0" }))).toBe(false)
    expect(mayCount(raw({ [H.REPLAY_COUNT]: "2" }))).toBe(true)
    expect(mayCount(raw({}))).toBe(true)
  })
})

describe("a dead letter over the DLQ topic's record limit", () => {
  const invalid = (bytes: Buffer) =>
    deadLetter({
      reason: "invalid_event",
      event: { raw: bytes.toString("base64") },
      meta,
      failedAt: 1,
      error: { tag: "InvalidEvent", reason: "not_json", retryable: false, message: "not JSON" }
    })

  it("is kept without its event, saying how large it was and where the original is; one that fits is whole", () => {
    const record = invalid(Buffer.alloc(3_000, 0xff))
    const whole = deadLetterOutput({ results: "r", dlq: "d" }, record, meta, 10_000)
    expect(JSON.parse(whole.value).event).toEqual(record.event)
    const slim = deadLetterOutput({ results: "r", dlq: "d" }, record, meta, 2_000)
    const value = JSON.parse(slim.value)
    expect(value.event).toEqual({ raw: "" })
    expect(value.event_omitted.limit).toBe(2_000)
    expect(value.event_omitted.bytes).toBeGreaterThan(4_000)
    expect(value.event_omitted.reason).toContain("the original record is at webhooks:2:41")
    expect(value.reason).toBe("invalid_event")
    expect(value.error.reason).toBe("not_json")
    expect(recordBytes(slim)).toBeLessThanOrEqual(2_000)
    expect(slim.headers).toEqual(whole.headers)
  })

  it("is not replayed (nothing to publish), and says why", () => {
    const entry = decodeDlqEntry({
      topic: "webhooks.dlq",
      partition: 0,
      offset: "7",
      key: null,
      value: Buffer.from(deadLetterOutput({ results: "r", dlq: "d" }, invalid(Buffer.alloc(3_000)), meta, 2_000).value),
      headers: {},
      timestamp: 0
    })
    expect(entry.record?.event_omitted).toBeDefined()
    const decision = decideReplay(entry, { inputTopic: "webhooks", allModules: false })
    expect(decision._tag).toBe("Undecodable")
    expect(decision._tag === "Undecodable" && decision.problem).toContain("record limit")
  })
})
