import { describe, expect, it } from "vitest"
import { makeRateLimiter } from "../../../src/ingress/rateLimiter.ts"

const clock = () => {
  let t = 1_000_000
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe("token bucket rate limiter (injected clock)", () => {
  it("lets a burst through, then refuses with the seconds until the next token", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 2, burst: 3, now: c.now })
    expect([1, 2, 3].map(() => limiter.take("k").allowed)).toEqual([true, true, true])
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 1 })
    c.advance(499)
    expect(limiter.take("k").allowed).toBe(false)
    c.advance(1) // 500 ms at 2/s: one token
    expect(limiter.take("k").allowed).toBe(true)
    expect(limiter.take("k").allowed).toBe(false)
  })

  it("refills at the configured rate but never above the burst", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 10, burst: 5, now: c.now })
    for (let i = 0; i < 5; i++) limiter.take("k")
    c.advance(60_000)
    const allowed = Array.from({ length: 8 }, () => limiter.take("k").allowed).filter(Boolean).length
    expect(allowed).toBe(5)
  })

  it("sustains exactly the rate over time", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 50, burst: 1, now: c.now })
    let allowed = 0
    for (let ms = 0; ms < 10_000; ms++) {
      if (limiter.take("k").allowed) allowed++
      c.advance(1)
    }
    expect(allowed).toBeGreaterThanOrEqual(500)
    expect(allowed).toBeLessThanOrEqual(501)
  })

  it("Retry-After grows for slow rates (0.1/s: 10 s per token)", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 0.1, burst: 1, now: c.now })
    expect(limiter.take("k").allowed).toBe(true)
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 10 })
    c.advance(4_000)
    expect(limiter.take("k")).toEqual({ allowed: false, retryAfterSeconds: 6 })
  })

  it("keeps one bucket per key: one client's burst does not spend another's", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 1, burst: 1, now: c.now })
    expect(limiter.take("10.0.0.1").allowed).toBe(true)
    expect(limiter.take("10.0.0.1").allowed).toBe(false)
    expect(limiter.take("10.0.0.2").allowed).toBe(true)
  })

  it("forgets the least recently used bucket past maxKeys", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 1, burst: 1, now: c.now, maxKeys: 2 })
    limiter.take("a")
    limiter.take("b")
    limiter.take("a") // a is now the most recent
    limiter.take("c") // evicts b
    expect(limiter.size()).toBe(2)
    expect(limiter.take("a").allowed).toBe(false) // remembered, still empty
    expect(limiter.take("b").allowed).toBe(true) // forgotten: a full bucket again
  })

  it("a clock that steps back does not mint tokens", () => {
    const c = clock()
    const limiter = makeRateLimiter({ perSecond: 1, burst: 1, now: c.now })
    limiter.take("k")
    c.advance(-5_000)
    expect(limiter.take("k").allowed).toBe(false)
  })
})
