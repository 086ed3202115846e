import { describe, expect, it } from "vitest"
import { chunkBelow, planDlqRanges, rangeSize } from "../../../src/dlq/dlqRanges.ts"

const offsets = [
  { partition: 0, low: "10", end: "100" },
  { partition: 1, low: "0", end: "50" },
  { partition: 2, low: "0", end: "0" }
]

describe("the offsets a DLQ read covers", () => {
  it("without bounds: each partition from its log start to its end", () => {
    expect(planDlqRanges(offsets, {})).toEqual([
      { partition: 0, start: "10", end: "100" },
      { partition: 1, start: "0", end: "50" },
      { partition: 2, start: "0", end: "0" }
    ])
  })

  it("starts at the time seek for --since and stops at the one for --until, within the log", () => {
    const ranges = planDlqRanges(
      offsets,
      { since: 1, until: 2 },
      {
        atSince: new Map([
          [0, 40n],
          [1, 50n],
          [2, 0n]
        ]),
        atUntil: new Map([
          [0, 70n],
          [1, 50n],
          [2, 0n]
        ])
      }
    )
    expect(ranges).toEqual([
      { partition: 0, start: "40", end: "70" },
      { partition: 1, start: "50", end: "50" },
      { partition: 2, start: "0", end: "0" }
    ])
    expect(rangeSize(ranges)).toBe(30)
  })

  it("the later of --from-offset and the time seek; a seek below the log start starts at the log start", () => {
    const ranges = planDlqRanges(
      offsets,
      { fromOffsets: [{ partition: 0, offset: 60n }] },
      {
        atSince: new Map([
          [0, 40n],
          [1, 0n]
        ]),
        atUntil: new Map([[0, 5n]])
      }
    )
    // partition 0: the until bound is below the log start, so nothing is read there
    expect(ranges[0]).toEqual({ partition: 0, start: "10", end: "10" })
    expect(ranges[1]).toEqual({ partition: 1, start: "0", end: "50" })
  })

  it("reads only the partitions asked for", () => {
    expect(planDlqRanges(offsets, {}, { partitions: [1] }).map((r) => r.start)).toEqual(["100", "0", "0"])
  })

  it("backward chunks: below the cursor, never below the start, none once at the start", () => {
    expect(chunkBelow(3, 10n, 100n, 40)).toEqual({ partition: 3, start: "60", end: "100" })
    expect(chunkBelow(3, 10n, 30n, 40)).toEqual({ partition: 3, start: "10", end: "30" })
    expect(chunkBelow(3, 10n, 10n, 40)).toBeUndefined()
  })
})
