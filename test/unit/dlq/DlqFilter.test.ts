import { describe, expect, it } from "vitest"
import { type DlqEntry, decodeDlqEntry, parseCoordinate, summarizeEntry } from "../../../src/dlq/DlqEntry.ts"
import { type DlqFilter, describeFilter, matches, parseFilter, parseFromOffset } from "../../../src/dlq/DlqFilter.ts"
import { formatAge, parseSpan, parseTimeSpec } from "../../../src/dlq/timeSpec.ts"
import { deadLetter, deadLetterOutput } from "../../../src/outcomes/records.ts"

const now = Date.parse("2026-02-01T12:00:00.000Z")

const entry = (fields: {
  offset: number
  partition?: number
  webhook?: string
  reason?: "chain_failed" | "timed_out" | "invalid_event" | "unknown_webhook" | "payload_too_large"
  failed?: ReadonlyArray<string>
  key?: string | null
  failedAt?: number
  id?: string
}): DlqEntry => {
  const meta = {
    source: { topic: "webhooks", partition: 0, offset: String(fields.offset) },
    key: fields.key === null ? null : Buffer.from(fields.key ?? "k"),
    replayCount: 0
  }
  const reason = fields.reason ?? "chain_failed"
  const failed = fields.failed ?? ["crm"]
  const record = deadLetter({
    reason,
    event: {
      webhook_id: fields.webhook ?? "orders",
      payload: {},
      ...(fields.id === undefined ? {} : { id: fields.id })
    },
    meta,
    failedAt: fields.failedAt ?? now - 60_000,
    eventId: fields.id ?? `webhooks-0-${fields.offset}`,
    webhookId: fields.webhook ?? "orders",
    ...(reason === "chain_failed"
      ? {
          result: {
            schema: "hookstream.result/v1",
            event_id: fields.id ?? `webhooks-0-${fields.offset}`,
            webhook_id: fields.webhook ?? "orders",
            status: "partial",
            modules: failed.map((id) => ({
              id,
              module: "http",
              status: "failed" as const,
              attempts: 1,
              duration_ms: 3,
              error: { tag: "DestinationError", reason: "unreachable", retryable: true, message: `${id} down` }
            })),
            started_at: "2026-02-01T11:00:00.000Z",
            finished_at: "2026-02-01T11:00:01.000Z",
            duration_ms: 1000,
            source: meta.source,
            replay_count: 0
          }
        }
      : { error: { tag: "InvalidEvent", reason, retryable: false, message: "refused" } })
  })
  const out = deadLetterOutput({ results: "r", dlq: "webhooks.dlq" }, record, meta)
  return decodeDlqEntry({
    topic: "webhooks.dlq",
    partition: fields.partition ?? 0,
    offset: String(fields.offset),
    key: out.key,
    value: Buffer.from(out.value),
    headers: out.headers,
    timestamp: now
  })
}

const ok = (input: Parameters<typeof parseFilter>[0]): DlqFilter => {
  const parsed = parseFilter(input, now)
  if (parsed._tag !== "Ok") throw new Error(parsed.message)
  return parsed.filter
}

describe("DLQ entries", () => {
  it("decode the processor's dead letters; other values are kept with the reason", () => {
    const e = entry({ offset: 7, id: "evt-7", key: "cust-1" })
    expect(e.record?.event_id).toBe("evt-7")
    expect(summarizeEntry(e)).toMatchObject({
      coordinate: "webhooks.dlq:0:7",
      reason: "chain_failed",
      webhook_id: "orders",
      event_id: "evt-7",
      failed_modules: ["crm"],
      key: "cust-1",
      error: "crm: crm down"
    })
    const raw = { topic: "t", partition: 1, offset: "3", key: null, headers: {}, timestamp: now }
    expect(decodeDlqEntry({ ...raw, value: Buffer.from("nope") }).problem).toBe("value is not JSON")
    expect(decodeDlqEntry({ ...raw, value: Buffer.from("{}") }).problem).toBe("not a hookstream.dlq/v1 record")
    expect(decodeDlqEntry({ ...raw, value: null }).problem).toBe("empty value")
  })

  it("coordinates: topic:partition:offset or partition:offset; anything else is an event id", () => {
    expect(parseCoordinate("webhooks.dlq:3:1042", "d")).toEqual({ topic: "webhooks.dlq", partition: 3, offset: "1042" })
    expect(parseCoordinate("2:17", "webhooks.dlq")).toEqual({ topic: "webhooks.dlq", partition: 2, offset: "17" })
    expect(parseCoordinate("evt-7", "d")).toBeUndefined()
    expect(parseCoordinate("a:b:c", "d")).toBeUndefined()
    expect(parseCoordinate("urn:x:1:2", "d")).toBeUndefined()
    expect(parseCoordinate("bad topic:1:2", "d")).toBeUndefined()
  })
})

describe("DLQ filters", () => {
  const entries = [
    entry({ offset: 0, webhook: "orders", failed: ["crm"], key: "a", failedAt: now - 3 * 3_600_000 }),
    entry({ offset: 1, webhook: "audit", failed: ["mail", "crm"], key: "b", failedAt: now - 30 * 60_000 }),
    entry({ offset: 2, webhook: "orders", reason: "unknown_webhook", key: "c", failedAt: now - 60_000 }),
    entry({ offset: 3, partition: 1, webhook: "billing", reason: "timed_out", failed: ["mail"], key: null })
  ]
  const pick = (filter: DlqFilter) => entries.filter((e) => matches(filter, e)).map((e) => e.coordinate.offset)

  it("an empty filter selects everything", () => {
    expect(pick(ok({}))).toEqual(["0", "1", "2", "3"])
  })

  it("each flag selects exactly its records; lists match any value; flags combine with AND", () => {
    expect(pick(ok({ webhook: ["orders"] }))).toEqual(["0", "2"])
    expect(pick(ok({ webhook: ["orders,billing"] }))).toEqual(["0", "2", "3"])
    expect(pick(ok({ reason: ["chain_failed"] }))).toEqual(["0", "1"])
    expect(pick(ok({ reason: ["timed_out", "unknown_webhook"] }))).toEqual(["2", "3"])
    // timed_out entries built here carry an error, not a result: no failed modules
    expect(pick(ok({ module: ["mail"] }))).toEqual(["1"])
    expect(pick(ok({ module: ["crm"] }))).toEqual(["0", "1"])
    expect(pick(ok({ key: ["a", "c"] }))).toEqual(["0", "2"])
    expect(pick(ok({ since: "1h" }))).toEqual(["1", "2", "3"])
    expect(pick(ok({ until: "10m" }))).toEqual(["0", "1"])
    expect(pick(ok({ since: "2h", until: "10m" }))).toEqual(["1"])
    expect(pick(ok({ fromOffset: "2" }))).toEqual(["2", "3"])
    expect(pick(ok({ fromOffset: "0:1" }))).toEqual(["1", "2", "3"])
    expect(pick(ok({ webhook: ["orders"], module: ["crm"] }))).toEqual(["0"])
  })

  it("records that are not dead letters never match record filters", () => {
    const junk = decodeDlqEntry({
      topic: "webhooks.dlq",
      partition: 0,
      offset: "9",
      key: null,
      value: Buffer.from("x"),
      headers: {},
      timestamp: now
    })
    expect(matches(ok({}), junk)).toBe(true)
    expect(matches(ok({ webhook: ["orders"] }), junk)).toBe(false)
    expect(matches(ok({ since: "1h" }), junk)).toBe(true)
  })

  it("usage errors name the flag", () => {
    const message = (input: Parameters<typeof parseFilter>[0]) => {
      const parsed = parseFilter(input, now)
      return parsed._tag === "Invalid" ? parsed.message : "ok"
    }
    expect(message({ reason: ["failed"] })).toMatch(/^--reason: unknown reason failed/)
    expect(message({ since: "yesterday" })).toMatch(/^--since: not a time/)
    expect(message({ until: "2026-02-30" })).toMatch(/^--until: not a time/)
    expect(message({ since: "1h", until: "2h" })).toBe("--until must be later than --since")
    expect(message({ fromOffset: "x" })).toMatch(/^--from-offset/)
  })

  it("--from-offset: one offset for every partition, or per partition", () => {
    expect(parseFromOffset("42")).toEqual([{ offset: 42n }])
    expect(parseFromOffset("0:42, 1:17")).toEqual([
      { partition: 0, offset: 42n },
      { partition: 1, offset: 17n }
    ])
    expect(parseFromOffset("-1")).toBeUndefined()
  })

  it("describes itself in one line", () => {
    expect(describeFilter({})).toBe("all records")
    expect(describeFilter(ok({ webhook: ["orders"], reason: ["timed_out"], fromOffset: "3" }))).toBe(
      "webhook=orders reason=timed_out from-offset=3"
    )
  })
})

describe("time specs", () => {
  it("spans need a unit; times are spans ago, dates (UTC midnight) or RFC 3339", () => {
    expect(parseSpan("250ms")).toBe(250)
    expect(parseSpan("7d")).toBe(604_800_000)
    expect(parseSpan("2w")).toBe(1_209_600_000)
    expect(parseSpan("1.5h")).toBe(5_400_000)
    expect(parseSpan("10")).toBeUndefined()
    expect(parseTimeSpec("2h", now)).toBe(now - 7_200_000)
    expect(parseTimeSpec("2026-01-31", now)).toBe(Date.parse("2026-01-31T00:00:00Z"))
    expect(parseTimeSpec("2026-01-31T12:00:00+02:00", now)).toBe(Date.parse("2026-01-31T10:00:00Z"))
    expect(parseTimeSpec("2026-01-31T12:00:00.123456Z", now)).toBe(Date.parse("2026-01-31T12:00:00.123Z"))
    expect(parseTimeSpec("2026-02-30", now)).toBeUndefined()
    expect(parseTimeSpec("soon", now)).toBeUndefined()
  })

  it("ages read short", () => {
    expect([formatAge(5_000), formatAge(120_000), formatAge(7_200_000), formatAge(3 * 86_400_000)]).toEqual([
      "5s",
      "2m",
      "2h",
      "3d"
    ])
  })
})
