import { describe, expect, it } from "vitest"
import { decodeDlqEntry } from "../../../src/dlq/DlqEntry.ts"
import { ageBucket, makeStatsAccumulator } from "../../../src/dlq/DlqStats.ts"
import { deadLetter, deadLetterOutput } from "../../../src/outcomes/records.ts"

const now = Date.parse("2026-02-01T12:00:00.000Z")
const HOUR = 3_600_000

const letter = (
  offset: number,
  webhook: string,
  reason: "chain_failed" | "unknown_webhook",
  failedAgo: number,
  replays = 0,
  failed: ReadonlyArray<string> = []
) => {
  const meta = { source: { topic: "in", partition: 0, offset: String(offset) }, key: null, replayCount: replays }
  const record = {
    ...deadLetter({
      reason,
      event: { webhook_id: webhook, payload: {} },
      meta,
      failedAt: now - failedAgo,
      webhookId: webhook
    }),
    failed_modules: failed
  }
  const out = deadLetterOutput({ results: "r", dlq: "d" }, record, meta)
  return decodeDlqEntry({
    topic: "d",
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from(out.value),
    headers: out.headers,
    timestamp: now
  })
}

describe("DLQ stats", () => {
  it("counts by webhook, reason, module (each failed module once), age and replay count; biggest first", () => {
    const stats = makeStatsAccumulator(now)
    stats.add(letter(0, "orders", "chain_failed", 10 * 60_000, 0, ["crm", "mail"]))
    stats.add(letter(1, "orders", "chain_failed", 2 * HOUR, 1, ["crm"]))
    stats.add(letter(2, "audit", "unknown_webhook", 30 * HOUR))
    stats.add(letter(3, "billing", "chain_failed", 9 * 24 * HOUR, 2, ["crm", "crm"]))
    stats.add(
      decodeDlqEntry({
        topic: "d",
        partition: 0,
        offset: "4",
        key: null,
        value: Buffer.from("not json"),
        headers: {},
        timestamp: now - HOUR / 2
      })
    )
    const s = stats.result()
    expect(s.total).toBe(5)
    expect(s.undecodable).toBe(1)
    expect(s.byWebhook).toEqual({ orders: 2, audit: 1, billing: 1 })
    expect(Object.keys(s.byWebhook)).toEqual(["orders", "audit", "billing"])
    expect(s.byReason).toEqual({ chain_failed: 3, unknown_webhook: 1 })
    expect(s.byModule).toEqual({ crm: 3, mail: 1 })
    expect(s.byAge).toEqual({ "< 1h": 2, "1h–24h": 1, "1d–7d": 1, "> 7d": 1 })
    expect(s.byReplayCount).toEqual({ "0": 2, "1": 1, "2": 1 })
    expect(s.oldestFailedAt).toBe(new Date(now - 9 * 24 * HOUR).toISOString())
    expect(s.newestFailedAt).toBe(new Date(now - 10 * 60_000).toISOString())
  })

  it("an empty DLQ has no oldest/newest", () => {
    const s = makeStatsAccumulator(now).result()
    expect(s.total).toBe(0)
    expect(s.oldestFailedAt).toBeUndefined()
  })

  it("age buckets have exclusive upper bounds", () => {
    expect([ageBucket(HOUR - 1), ageBucket(HOUR), ageBucket(24 * HOUR), ageBucket(7 * 24 * HOUR)]).toEqual([
      "< 1h",
      "1h–24h",
      "1d–7d",
      "> 7d"
    ])
  })
})
