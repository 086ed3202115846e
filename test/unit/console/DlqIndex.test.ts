import { describe, expect, it } from "vitest"
import { makeDlqIndex } from "../../../src/console/DlqIndex.ts"
import { indexRow } from "../../../src/console/dlqTail.ts"
import { decodeDlqEntry, failedAtOf, type RawRecord, summarizeEntry } from "../../../src/dlq/DlqEntry.ts"
import { type DlqFilter, matches } from "../../../src/dlq/DlqFilter.ts"
import { makeStatsAccumulator } from "../../../src/dlq/DlqStats.ts"
import type { DlqReason } from "../../../src/domain/DeadLetterRecord.ts"
import { deadLetter, deadLetterOutput, resultRecord } from "../../../src/outcomes/records.ts"

const now = Date.parse("2026-02-01T12:00:00.000Z")
const topic = "webhooks.dlq"
const reasons: ReadonlyArray<DlqReason> = ["chain_failed", "timed_out", "unknown_webhook"]

/** dead letters of every kind: chain failures with one or two failed modules, refusals, replays, undecodable records */
const records: ReadonlyArray<RawRecord> = Array.from({ length: 400 }, (_, i) => {
  const partition = i % 3
  const offset = String(Math.floor(i / 3))
  const base = { topic, partition, offset, timestamp: now - (400 - i) * 600_000 }
  if (i % 37 === 5) return { ...base, key: null, value: Buffer.from(i % 2 === 0 ? "not json" : "{}"), headers: {} }
  const reason = reasons[i % 3] ?? "chain_failed"
  const webhook = ["orders", "audit", "billing"][i % 4] ?? "orders"
  const meta = {
    source: { topic: "webhooks", partition: 0, offset: String(i) },
    key: i % 5 === 0 ? null : Buffer.from(`k${i % 7}`),
    replayCount: i % 6 === 0 ? 2 : 0
  }
  const failedAt = now - (400 - i) * 600_000 - (i % 11) * 1_000
  const failed = i % 2 === 0 ? ["crm"] : ["mail", "crm"]
  const result =
    reason === "unknown_webhook"
      ? undefined
      : resultRecord(
          `evt-${i}`,
          webhook,
          {
            status: "partial",
            startedAt: failedAt - 5,
            finishedAt: failedAt,
            modules: failed.map((id) => ({
              id,
              module: "http",
              status: "failed" as const,
              attempts: 1,
              duration_ms: 1,
              error: { tag: "DestinationError", reason: "unreachable", retryable: true, message: `down ${i % 4}` }
            }))
          },
          meta
        )
  const record = deadLetter({
    reason,
    event: { webhook_id: webhook, payload: { i } },
    meta,
    failedAt,
    ...(result === undefined
      ? { error: { tag: "InvalidEvent", reason, retryable: false, message: "no stream" } }
      : { result }),
    eventId: `evt-${i}`,
    webhookId: webhook
  })
  const out = deadLetterOutput({ results: "r", dlq: topic }, record, meta)
  return { ...base, key: out.key, value: Buffer.from(out.value), headers: out.headers }
})

const filters: ReadonlyArray<DlqFilter> = [
  {},
  { webhooks: ["orders"] },
  { webhooks: ["orders", "nobody"], reasons: ["chain_failed"] },
  { modules: ["mail"] },
  { keys: ["k3", "k5"] },
  { since: now - 30 * 3_600_000 },
  { since: now - 50 * 3_600_000, until: now - 20 * 3_600_000, reasons: ["timed_out", "unknown_webhook"] },
  { webhooks: ["nobody"] }
]

describe("the console's in-memory DLQ index", () => {
  const index = makeDlqIndex(topic)
  for (const r of records) index.add(indexRow(r))
  const entries = records.map(decodeDlqEntry)

  it.each(filters.map((f) => [JSON.stringify(f), f] as const))(
    "answers %s as a read of the topic would: the same stats, the same newest entries",
    (_name, filter) => {
      const selected = entries.filter((e) => matches(filter, e))
      const stats = makeStatsAccumulator(now)
      for (const e of selected) stats.add(e)
      const answer = index.query(filter, 20, now)
      expect(answer.stats).toEqual(stats.result())
      const newest = [...selected]
        .sort((a, b) => failedAtOf(b) - failedAtOf(a))
        .slice(0, 20)
        .map((e) => {
          // the index keeps the event id (API users and scripts select by it), not the key
          const { key: _k, ...rest } = summarizeEntry(e)
          return rest
        })
      expect(answer.entries).toEqual(newest)
      expect(answer.timeline.reduce((n, b) => n + b.count, 0)).toBe(selected.length)
    }
  )

  it("stops counting records the broker deleted (below a partition's log start)", () => {
    const all = index.query({}, 5, now).stats.total
    index.retainFrom(0, 50)
    const gone = entries.filter((e) => e.coordinate.partition === 0 && Number(e.coordinate.offset) < 50).length
    expect(index.query({}, 5, now).stats.total).toBe(all - gone)
    index.retainFrom(0, 0)
  })

  it("holds columns and packed event ids, not records: under 80 bytes a row", () => {
    expect(index.size()).toBe(400)
    const big = makeDlqIndex(topic)
    const row = indexRow(records[1] as RawRecord)
    for (let i = 0; i < 200_000; i++) big.add({ ...row, offset: i })
    // ~50 bytes of columns, 6 for where the event id is, and the id's own bytes
    expect(big.bytes() / big.size()).toBeLessThan(80)
  })
})
