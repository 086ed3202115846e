/**
 * The pure parts of "where is my event": where the scan starts, and which records are the
 * event's (by its own id, or by the coordinate a derived id names).
 */
import { describe, expect, it } from "vitest"
import { ulid, ulidTime } from "../../../src/ingress/eventId.ts"
import { derivedCoordinate, hitOf, scanStart, ULID_SKEW_MS } from "../../../src/lookup/findEvent.ts"

const record = (value: unknown, at = { partition: 0, offset: "5" }, headers: Record<string, string> = {}) => ({
  topic: "webhooks",
  ...at,
  key: Buffer.from("k-1"),
  value: Buffer.from(JSON.stringify(value)),
  headers,
  timestamp: 1_000
})

describe("the event lookup", () => {
  it("starts at a ULID's own time less the skew margin, at --since when given, else at the topics' start", () => {
    const made = Date.parse("2026-03-01T10:00:00.000Z")
    const id = ulid(made)
    expect(ulidTime(id)).toBe(made)
    expect(ulidTime(id.toLowerCase())).toBe(made)
    expect(scanStart(id, undefined)).toEqual({ from: made - ULID_SKEW_MS, why: "event id time" })
    expect(scanStart(id, 42)).toEqual({ from: 42, why: "since" })
    expect(scanStart("evt_1234", undefined)).toEqual({ from: undefined, why: "whole topics" })
    // 26 characters but not Crockford base32 (I, L, O, U), or past the 48-bit range: not a ULID
    expect(ulidTime("01ARZ3NDEKTSV4RRFFQ69G5FAI")).toBeUndefined()
    expect(ulidTime("81ARZ3NDEKTSV4RRFFQ69G5FAV")).toBeUndefined()
  })

  it("an input record is the event's by its envelope id, a replay carries its count and origin", () => {
    const hit = hitOf(
      "input",
      "order-43",
      record(
        { webhook_id: "orders", id: "order-43", payload: {} },
        { partition: 1, offset: "9" },
        {
          "hookstream-replay-count": "1",
          "hookstream-replay-of": "webhooks.dlq:0:3"
        }
      )
    )
    expect(hit).toMatchObject({ kind: "input", replayCount: 1, replayOf: "webhooks.dlq:0:3", key: "k-1" })
    expect(hitOf("input", "order-4", record({ webhook_id: "orders", id: "order-43", payload: {} }))).toBeUndefined()
  })

  it("an event without an id is found at the coordinate its derived id names", () => {
    expect(derivedCoordinate("webhooks-2-1042", "webhooks")).toEqual({
      topic: "webhooks",
      partition: 2,
      offset: "1042"
    })
    expect(derivedCoordinate("webhooks.dlq-2-1042", "webhooks")).toBeUndefined()
    expect(derivedCoordinate("webhooks-x-1", "webhooks")).toBeUndefined()
    const noId = { webhook_id: "orders", payload: {} }
    expect(hitOf("input", "webhooks-0-5", record(noId))).toMatchObject({ kind: "input", replayCount: 0 })
    expect(hitOf("input", "webhooks-0-6", record(noId))).toBeUndefined()
    // an envelope with its own id is never named after its coordinate
    expect(hitOf("input", "webhooks-0-5", record({ ...noId, id: "other" }))).toBeUndefined()
  })

  it("a result record is the event's by event_id; anything else on the topic is skipped", () => {
    const result = {
      schema: "hookstream.result/v1",
      event_id: "order-43",
      webhook_id: "orders",
      status: "failed",
      modules: [],
      started_at: "2026-03-01T10:00:00.000Z",
      finished_at: "2026-03-01T10:00:01.000Z",
      duration_ms: 1000,
      source: { topic: "webhooks", partition: 0, offset: "5" },
      replay_count: 0
    }
    expect(hitOf("result", "order-43", record(result))).toMatchObject({
      kind: "result",
      at: Date.parse("2026-03-01T10:00:01.000Z")
    })
    expect(hitOf("result", "order-43", record({ event_id: "order-43" }))).toBeUndefined()
    expect(hitOf("result", "order-43", { ...record({}), value: Buffer.from("order-43 not json") })).toBeUndefined()
  })
})
