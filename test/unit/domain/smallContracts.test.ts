import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { didYouMean, editDistance } from "../../../src/domain/didYouMean.ts"
import { deriveEventId, eventIdFor } from "../../../src/domain/EventId.ts"
import { exceedsJsonDepth, jsonDepth, MAX_JSON_DEPTH } from "../../../src/domain/JsonDepth.ts"
import { parseOnlyModules, parseReplayCount } from "../../../src/domain/KafkaHeaders.ts"
import { isRfc3339, toRfc3339 } from "../../../src/domain/Timestamp.ts"

describe("event ids", () => {
  it("derive deterministically from topic, partition and offset, so redelivery keeps them", () => {
    const source = { topic: "webhooks.v2-eu", partition: 3, offset: "1042" }
    expect(deriveEventId(source)).toBe("webhooks.v2-eu-3-1042")
    expect(deriveEventId({ ...source })).toBe(deriveEventId(source))
    expect(eventIdFor(undefined, source)).toBe("webhooks.v2-eu-3-1042")
    expect(eventIdFor("evt-7", source)).toBe("evt-7")
  })

  it("never collide for different records", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/),
        fc.nat(100),
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        fc.nat(100),
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        (topic, p1, o1, p2, o2) =>
          (p1 === p2 && o1 === o2) ||
          deriveEventId({ topic, partition: p1, offset: String(o1) }) !==
            deriveEventId({ topic, partition: p2, offset: String(o2) })
      )
    )
  })
})

describe("JSON depth", () => {
  const nest = (depth: number): unknown =>
    depth === 0 ? "leaf" : depth % 2 === 0 ? { a: nest(depth - 1) } : [nest(depth - 1)]

  it("counts container levels: scalars 0, {} and [] 1", () => {
    expect([jsonDepth(1), jsonDepth(null), jsonDepth({}), jsonDepth([]), jsonDepth({ a: [1] })]).toEqual([
      0, 0, 1, 1, 2
    ])
    expect(jsonDepth(nest(37))).toBe(37)
  })

  it("allows 50 levels and rejects 51", () => {
    expect(MAX_JSON_DEPTH).toBe(50)
    expect(exceedsJsonDepth(nest(50))).toBe(false)
    expect(exceedsJsonDepth(nest(51))).toBe(true)
  })

  it("copes with hostile depth without overflowing the stack", () => {
    let deep: unknown = 1
    for (let i = 0; i < 200_000; i++) deep = [deep]
    expect(exceedsJsonDepth(deep)).toBe(true)
    expect(jsonDepth(deep)).toBe(200_000)
  })
})

describe("input headers", () => {
  it("reads the replay count, treating absent or malformed as 0", () => {
    expect([
      parseReplayCount(undefined),
      parseReplayCount("3"),
      parseReplayCount(" 12 "),
      parseReplayCount("-1"),
      parseReplayCount("x")
    ]).toEqual([0, 3, 12, 0, 0])
  })

  it("reads only-modules as a trimmed, deduplicated list, or undefined for the whole chain", () => {
    expect(parseOnlyModules("store, notify-crm,store,")).toEqual(["store", "notify-crm"])
    expect(parseOnlyModules(" , ")).toBeUndefined()
    expect(parseOnlyModules(undefined)).toBeUndefined()
  })
})

describe("timestamps", () => {
  it("accept RFC 3339 only, with real calendar dates", () => {
    for (const ok of [
      "2026-01-31T12:00:00Z",
      "2026-01-31T12:00:00.123456789+05:30",
      "2024-02-29t00:00:00z",
      "2000-02-29T23:59:59-23:59",
      "2026-12-31T00:00:00Z"
    ])
      expect(isRfc3339(ok)).toBe(true)
    for (const bad of [
      "2026-02-30T00:00:00Z",
      "2026-01-31 12:00:00Z",
      "2026-01-31T12:00:00",
      "1706702400",
      "2025-02-29T00:00:00Z",
      "1900-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-31T24:00:00Z",
      "2026-01-31T12:60:00Z",
      "2026-01-31T12:00:60Z",
      "2026-01-31T12:00:00+24:00",
      "2026-01-31T12:00:00+05:60"
    ]) {
      expect(isRfc3339(bad)).toBe(false)
    }
    expect(toRfc3339(0)).toBe("1970-01-01T00:00:00.000Z")
  })
})

describe("did you mean", () => {
  it("suggests close names and extensions, and nothing for far ones", () => {
    expect(didYouMean("continue_on_eror", ["continue_on_error", "chain"])).toBe("continue_on_error")
    expect(didYouMean("htp", ["http", "kafka"])).toBe("http")
    expect(didYouMean("main", ["main_db", "cache"])).toBe("main_db")
    expect(didYouMean("zzz", ["id", "chain"])).toBeUndefined()
    expect(editDistance("Kitten", "sitting")).toBe(3)
  })
})
