import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { formatDuration, parseDuration } from "../../../src/schema/Duration.ts"

describe("durations", () => {
  it("reads numbers as seconds and strings with units", () => {
    expect(parseDuration(30)).toBe(30_000)
    expect(parseDuration(0.25)).toBe(250)
    expect(parseDuration("250ms")).toBe(250)
    expect(parseDuration("5s")).toBe(5_000)
    expect(parseDuration("1.5s")).toBe(1_500)
    expect(parseDuration("2m")).toBe(120_000)
    expect(parseDuration("1h")).toBe(3_600_000)
    expect(parseDuration("30")).toBe(30_000)
  })

  it("rejects everything else, booleans included", () => {
    for (const bad of [
      true,
      false,
      null,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "5 minutes",
      "5sec",
      "-5s",
      "",
      "1d",
      {}
    ]) {
      expect(parseDuration(bad)).toBeUndefined()
    }
  })

  it("formats to the shortest exact form, and parsing it gives the same duration back", () => {
    expect([250, 5_000, 1_500, 120_000, 3_600_000, 90_000].map(formatDuration)).toEqual([
      "250ms",
      "5s",
      "1.5s",
      "2m",
      "1h",
      "90s"
    ])
    fc.assert(fc.property(fc.integer({ min: 0, max: 86_400_000 }), (ms) => parseDuration(formatDuration(ms)) === ms))
  })
})
