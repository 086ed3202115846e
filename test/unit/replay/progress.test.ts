import { describe, expect, it } from "vitest"
import { countsBlock, formatDurationShort, progressLine, scanLine, table } from "../../../src/cli/render.ts"
import { etaMs, fraction, ratePerSecond } from "../../../src/replay/progress.ts"
import { planRanges } from "../../../src/replay/ReplayPlan.ts"

const progress = {
  dryRun: false,
  total: 1_000,
  scanned: 250,
  matched: 240,
  published: 200,
  tooManyReplays: 3,
  undecodable: 0,
  elapsedMs: 5_000
}

describe("replay progress", () => {
  it("rate, fraction and ETA from the scan so far", () => {
    expect(ratePerSecond(200, 5_000)).toBe(40)
    expect(ratePerSecond(10, 0)).toBe(0)
    expect(fraction(progress)).toBe(0.25)
    expect(etaMs(progress)).toBe(15_000)
    expect(etaMs({ ...progress, scanned: 0 })).toBeUndefined()
    expect(etaMs({ ...progress, scanned: 1_000 })).toBe(0)
    expect(fraction({ ...progress, total: 0, scanned: 0 })).toBe(1)
  })

  it("a bar on a TTY, a plain line otherwise", () => {
    expect(progressLine(progress, 20)).toBe(
      "[█████░░░░░░░░░░░░░░░]  25% 250/1,000 read · 200 published · 40/s · ETA 15s · 3 over --max-replays"
    )
    expect(progressLine(progress)).toBe(
      "replay:  25% 250/1,000 read, 200 published, 40/s, ETA 15s, 3 over --max-replays"
    )
    expect(progressLine({ ...progress, dryRun: true, scanned: 0 })).toBe(
      "replay:   0% 0/1,000 read, 240 match, 0/s, ETA –, 3 over --max-replays"
    )
  })

  it("durations read short", () => {
    expect([850, 12_000, 245_000, 7_380_000].map(formatDurationShort)).toEqual(["850ms", "12s", "4m 05s", "2h 03m"])
  })
})

describe("DLQ scan progress", () => {
  it("says how much of the covered range was read; the counting pass of --max-replays says what it does", () => {
    expect(scanLine("dlq stats", 250_000, 1_000_000)).toBe("dlq stats: 250,000 of 1,000,000 DLQ records read (25%)")
    expect(scanLine("dlq list", 0, 0)).toBe("dlq list: 0 of 0 DLQ records read (100%)")
    const counting = { dryRun: false, phase: "counting" as const, total: 0, scanned: 0, matched: 0, published: 0 }
    expect(progressLine({ ...counting, tooManyReplays: 0, undecodable: 0, elapsedMs: 10 })).toContain("--max-replays")
  })
})

describe("where a replay starts", () => {
  it("after the recorded position and the --from-offset floor, within the log, never past the end", () => {
    const offsets = [
      { partition: 0, low: "10", end: "100" },
      { partition: 1, low: "0", end: "50" },
      { partition: 2, low: "0", end: "5" }
    ]
    expect(
      planRanges(offsets, new Map([[1, "20"]]), { fromOffsets: [{ offset: 30n }, { partition: 2, offset: 9n }] })
    ).toEqual([
      { partition: 0, start: "30", end: "100" },
      { partition: 1, start: "30", end: "50" },
      { partition: 2, start: "5", end: "5" }
    ])
    expect(planRanges(offsets, new Map([[0, "60"]]), {})).toEqual([
      { partition: 0, start: "60", end: "100" },
      { partition: 1, start: "0", end: "50" },
      { partition: 2, start: "0", end: "5" }
    ])
  })
})

describe("tables", () => {
  it("pads columns, right-aligns numbers, cuts long cells", () => {
    expect(
      table(
        ["NAME", "COUNT"],
        [
          ["orders", "1,204"],
          ["a-much-longer-webhook-name", "7"]
        ],
        12
      )
    ).toBe(["NAME          COUNT", "────────────  ─────", "orders        1,204", "a-much-long…      7"].join("\n"))
    expect(countsBlock("by reason", { chain_failed: 12, timed_out: 3 })).toBe(
      "by reason:\n  chain_failed  12\n  timed_out      3"
    )
    expect(countsBlock("by module", {})).toBe("by module: none")
  })
})
