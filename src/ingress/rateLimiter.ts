/**
 * Token buckets: `per_second` tokens flow in continuously up to `burst`; a request takes one
 * or is refused with the seconds until one is there (the Retry-After). One bucket per key:
 * the stream's single key, or each client IP (`per_ip`). The clock is injected so tests can
 * step it. Keys are bounded: past `maxKeys` the least recently used bucket is forgotten
 * (it comes back full, which only ever errs towards letting a request through).
 */

export interface RateLimiterOptions {
  readonly perSecond: number
  readonly burst: number
  /** epoch milliseconds */
  readonly now: () => number
  readonly maxKeys?: number
}

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number }

export interface RateLimiter {
  readonly take: (key: string) => RateDecision
  /** buckets currently remembered */
  readonly size: () => number
}

interface Bucket {
  tokens: number
  at: number
}

const ALLOWED: RateDecision = { allowed: true }

export const makeRateLimiter = (options: RateLimiterOptions): RateLimiter => {
  const { perSecond, burst, now } = options
  const maxKeys = options.maxKeys ?? 100_000
  const buckets = new Map<string, Bucket>()
  return {
    take: (key) => {
      const t = now()
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        bucket = { tokens: burst, at: t }
        if (buckets.size >= maxKeys) {
          const oldest = buckets.keys().next()
          if (oldest.done !== true) buckets.delete(oldest.value)
        }
      } else {
        buckets.delete(key) // re-inserted below: Map order is recency order
        bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, t - bucket.at) / 1000) * perSecond)
        bucket.at = t
      }
      buckets.set(key, bucket)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return ALLOWED
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) }
    },
    size: () => buckets.size
  }
}
