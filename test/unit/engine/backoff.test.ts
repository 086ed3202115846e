import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { backoffDelayMs, retryDelayMs } from "../../../src/engine/backoff.ts"

const policy = (initialDelayMs: number, maxDelayMs: number, multiplier: number, jitter = false) => ({
  maxAttempts: 10,
  initialDelayMs,
  maxDelayMs,
  multiplier,
  jitter
})

describe("backoff", () => {
  // the original handler's pinned values, with our 1-based "next attempt" numbering
  it.each([
    [2, 1_000, 10_000, 2, 1_000],
    [3, 1_000, 10_000, 2, 2_000],
    [4, 1_000, 10_000, 2, 4_000],
    [5, 1_000, 60_000, 2, 8_000],
    [7, 1_000, 10_000, 2, 10_000],
    [12, 1_000, 5_000, 2, 5_000]
  ])("attempt %i, initial %i, max %i, multiplier %i → %i ms", (attempt, initial, max, mult, expected) => {
    expect(backoffDelayMs(policy(initial, max, mult), attempt, 0)).toBe(expected)
  })

  it("never overflows past the cap, never NaN or negative", () => {
    expect(backoffDelayMs(policy(1e300, 30_000, 10), 10_000, 0.5)).toBeLessThanOrEqual(30_000)
    expect(backoffDelayMs(policy(0, 30_000, 10), 5, 0.5)).toBe(0)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.boolean(),
        (initial, max, mult, attempt, random, jitter) => {
          const d = backoffDelayMs(policy(initial, max, mult, jitter), attempt, random)
          return Number.isFinite(d) && d >= 0 && d <= max
        }
      )
    )
  })

  it("equal jitter keeps at least half the nominal delay", () => {
    const p = policy(1_000, 30_000, 2, true)
    expect(backoffDelayMs(p, 3, 0)).toBe(1_000)
    expect(backoffDelayMs(p, 3, 0.999999)).toBeCloseTo(2_000, 0)
  })

  it("Retry-After wins only when longer", () => {
    const p = policy(1_000, 5_000, 2)
    expect(retryDelayMs(p, 2, 0, 30_000)).toBe(30_000)
    expect(retryDelayMs(p, 2, 0, 10)).toBe(1_000)
    expect(retryDelayMs(p, 2, 0, undefined)).toBe(1_000)
  })
})
