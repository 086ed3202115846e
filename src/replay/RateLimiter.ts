/**
 * `--rate <n/s>`: a token bucket. The core is pure (the time is an argument), so tests drive
 * it with any clock; `take` wraps it in Effect's Clock, so a TestClock works too.
 * Reservations may run the bucket negative: each caller learns exactly how long to wait,
 * and callers that wait in turn come out evenly spaced at the rate.
 */
import { Clock, Effect } from "effect"

export interface RateLimiter {
  /** reserves `n` tokens at time `now` (epoch ms); answers how many ms to wait before using them */
  readonly reserve: (now: number, n?: number) => number
}

export interface RateLimiterOptions {
  readonly ratePerSecond: number
  /** tokens available at once (default: a tenth of a second's worth, at least 1) */
  readonly burst?: number
  /** start time, epoch ms; the bucket starts full */
  readonly now: number
}

export const makeRateLimiter = (options: RateLimiterOptions): RateLimiter => {
  const rate = options.ratePerSecond
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number, got ${rate}`)
  const burst = Math.max(1, options.burst ?? Math.ceil(rate / 10))
  let tokens = burst
  let updatedAt = options.now
  return {
    reserve: (now, n = 1) => {
      if (now > updatedAt) {
        tokens = Math.min(burst, tokens + ((now - updatedAt) * rate) / 1000)
        updatedAt = now
      }
      tokens -= n
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / rate)
    }
  }
}

/** Waits (on Effect's Clock) until `n` tokens are ours. */
export const take = (limiter: RateLimiter, n = 1): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const wait = limiter.reserve(now, n)
    return wait > 0 ? Effect.sleep(wait) : Effect.void
  })

/**
 * `100`, `100/s`, `500/m`, `3600/h` → records per second; `undefined` when malformed or
 * not positive.
 */
export const parseRate = (text: string): number | undefined => {
  const m = /^(\d+(?:\.\d+)?)(?:\s*\/\s*(s|sec|second|m|min|minute|h|hour))?$/.exec(text.trim())
  if (m === null) return undefined
  const n = Number(m[1])
  const per = m[2] === undefined || m[2].startsWith("s") ? 1 : m[2].startsWith("m") ? 60 : 3_600
  const rate = n / per
  return rate > 0 && Number.isFinite(rate) ? rate : undefined
}
