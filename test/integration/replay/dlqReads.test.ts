/**
 * DLQ reads that do not read the whole topic: `--since`/`--until` seek by the records'
 * timestamps and stop at the bound, `readNewest` (dlq list --limit) reads backwards from the
 * end. Checked through how many offsets each read covered, on a real broker.
 */
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { eventIdOf } from "../../../src/dlq/DlqEntry.ts"
import { readDlq, readNewest, type ScanProgress } from "../../../src/dlq/readDlq.ts"
import { testKafkaClient } from "../processor/harness.ts"
import { freshDlqTopics, type Letter, produceLetters } from "./dlqFixtures.ts"

const kafka = testKafkaClient()
const now = Date.now()
const HOUR = 3_600_000

/** `n` letters that failed (and were stored) at `at`, `id` prefixed, spread over keys */
const letters = (prefix: string, n: number, at: number, from = 0): ReadonlyArray<Letter> =>
  Array.from({ length: n }, (_, i) => ({
    seq: from + i,
    id: `${prefix}-${i}`,
    webhook: prefix === "rare" ? "rare" : "orders",
    reason: "chain_failed",
    key: `key-${i % 7}`,
    failed: ["crm"],
    failedAt: at,
    storedAt: at + 50
  }))

describe("time-bounded and newest-first DLQ reads", () => {
  it("--since/--until read only the offsets stored around the bounds, and count exactly on failed_at", async () => {
    const topics = await freshDlqTopics(kafka, 3)
    await produceLetters(kafka, topics.dlq, topics.input, [
      ...letters("old", 120, now - 72 * HOUR),
      ...letters("mid", 30, now - HOUR / 2, 120),
      ...letters("new", 90, now - 60_000, 150)
    ])
    const read = async (filter: { since?: number; until?: number }) => {
      let last: ScanProgress | undefined
      const entries = await Effect.runPromise(
        Stream.runCollect(readDlq(kafka, { topic: topics.dlq, filter, onProgress: (p) => (last = p) }))
      )
      return { ids: entries.map((e) => eventIdOf(e)?.split("-")[0]), covered: last }
    }
    const midOnly = await read({ since: now - 2 * HOUR, until: now - 15 * 60_000 })
    expect(midOnly.ids).toHaveLength(30)
    expect(new Set(midOnly.ids)).toEqual(new Set(["mid"]))
    // the old and the new records were never read
    expect(midOnly.covered).toEqual({ scanned: 30, total: 30 })
    const recent = await read({ since: now - 2 * HOUR })
    expect(recent.ids).toHaveLength(120)
    expect(recent.covered).toEqual({ scanned: 120, total: 120 })
    const everything = await read({})
    expect(everything.covered).toEqual({ scanned: 240, total: 240 })
  })

  it("the newest N: read backwards from the end until each partition has enough; the whole DLQ when the filter is rare", async () => {
    const topics = await freshDlqTopics(kafka, 3)
    const base = now - HOUR
    await produceLetters(kafka, topics.dlq, topics.input, [
      ...letters("rare", 1, base - 1_000),
      ...Array.from(
        { length: 3_000 },
        (_, i) => ({ ...letters("bulk", 1, base + i * 10, i + 1)[0], id: `bulk-${i}`, key: `key-${i % 13}` }) as Letter
      )
    ])
    let last: ScanProgress | undefined
    const newest = await Effect.runPromise(
      readNewest(kafka, { topic: topics.dlq, limit: 5, firstChunk: 100, onProgress: (p) => (last = p) })
    )
    expect(newest.entries.map((e) => eventIdOf(e))).toEqual([
      "bulk-2995",
      "bulk-2996",
      "bulk-2997",
      "bulk-2998",
      "bulk-2999"
    ])
    expect(newest.complete).toBe(false)
    // one chunk of 100 per partition was enough
    expect(last?.total).toBe(3_001)
    expect(last?.scanned).toBe(300)

    const rare = await Effect.runPromise(
      readNewest(kafka, { topic: topics.dlq, limit: 5, firstChunk: 100, filter: { webhooks: ["rare"] } })
    )
    expect(rare.entries.map((e) => eventIdOf(e))).toEqual(["rare-0"])
    expect(rare).toMatchObject({ matched: 1, complete: true })
  })
})
