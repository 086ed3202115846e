/**
 * Backoff between attempts: exponential, capped by `maxDelayMs`, with "equal jitter"
 * (half fixed, half random) so retries of many events against one sink spread out while
 * each still waits at least half the nominal delay.
 */
import type { RetryPolicy } from "../domain/ChainPlan.ts"

/**
 * Delay before attempt `nextAttempt` (2 = the first retry). `random` is in [0, 1).
 * Never negative, never NaN or infinite, never above `maxDelayMs`.
 */
export const backoffDelayMs = (policy: RetryPolicy, nextAttempt: number, random: number): number => {
  const exponent = Math.max(0, nextAttempt - 2)
  const nominal = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** exponent)
  const capped = Number.isFinite(nominal) && nominal > 0 ? nominal : nominal > 0 ? policy.maxDelayMs : 0
  if (!policy.jitter) return capped
  return capped / 2 + (capped / 2) * Math.min(Math.max(random, 0), 1)
}

/**
 * The delay actually slept: a sink's Retry-After wins when it asks for longer than our
 * backoff (it may exceed `maxDelayMs`; the chain deadline still bounds it).
 */
export const retryDelayMs = (
  policy: RetryPolicy,
  nextAttempt: number,
  random: number,
  retryAfterMs: number | undefined
): number => {
  const delay = backoffDelayMs(policy, nextAttempt, random)
  return retryAfterMs !== undefined && retryAfterMs > delay ? retryAfterMs : delay
}
