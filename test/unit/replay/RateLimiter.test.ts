import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { makeRateLimiter, parseRate, take } from "../../../src/replay/RateLimiter.ts"

describe("rate limiter", () => {
  it("starts with a burst, then spaces reservations at the rate", () => {
    const limiter = makeRateLimiter({ ratePerSecond: 10, burst: 2, now: 0 })
    expect(limiter.reserve(0)).toBe(0)
    expect(limiter.reserve(0)).toBe(0)
    expect(limiter.reserve(0)).toBe(100)
    expect(limiter.reserve(0)).toBe(200)
    // after waiting, the debt is paid and the next reservation waits one interval
    expect(limiter.reserve(200)).toBe(100)
  })

  it("refills over time, never beyond the burst", () => {
    const limiter = makeRateLimiter({ ratePerSecond: 100, burst: 5, now: 0 })
    for (let i = 0; i < 5; i++) expect(limiter.reserve(0)).toBe(0)
    expect(limiter.reserve(0)).toBe(10)
    // an hour idle still allows only 5 at once
    const later = 3_600_000
    for (let i = 0; i < 5; i++) expect(limiter.reserve(later)).toBe(0)
    expect(limiter.reserve(later)).toBe(10)
  })

  it("holds the rate over many reservations (n records take about n/rate seconds)", () => {
    const limiter = makeRateLimiter({ ratePerSecond: 50, now: 0 })
    let now = 0
    for (let i = 0; i < 500; i++) now += limiter.reserve(now)
    // 500 records at 50/s: 10 s, less the initial burst of 5
    expect(now).toBeGreaterThanOrEqual(9_880)
    expect(now).toBeLessThanOrEqual(10_000)
  })

  it("take waits on Effect's clock", async () => {
    const program = Effect.gen(function* () {
      const limiter = makeRateLimiter({ ratePerSecond: 2, burst: 1, now: 0 })
      yield* take(limiter)
      const fiber = yield* Effect.forkChild(take(limiter))
      yield* TestClock.adjust(499)
      const early = fiber.pollUnsafe()
      yield* TestClock.adjust(1)
      yield* Fiber.join(fiber)
      return early
    }).pipe(Effect.provide(TestClock.layer()))
    expect(await Effect.runPromise(program)).toBeUndefined()
  })

  it("rejects a rate that is not positive", () => {
    expect(() => makeRateLimiter({ ratePerSecond: 0, now: 0 })).toThrow(RangeError)
  })
})

describe("--rate", () => {
  it("takes N, N/s, N/m, N/h", () => {
    expect(parseRate("50")).toBe(50)
    expect(parseRate("50/s")).toBe(50)
    expect(parseRate("600/m")).toBe(10)
    expect(parseRate("7200 / hour")).toBe(2)
    expect(parseRate("0.5")).toBe(0.5)
    expect(parseRate("0")).toBeUndefined()
    expect(parseRate("fast")).toBeUndefined()
    expect(parseRate("-5")).toBeUndefined()
  })
})
