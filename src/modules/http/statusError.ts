/**
 * HTTP statuses mapped once to `DestinationError`. 2xx is success and never reaches here.
 * 408/425/429/5xx can pass (`throttled` for 429, `unavailable` otherwise); 401/403 are
 * `unauthorized`; other 4xx are `rejected`; 3xx are `rejected` because redirects are not
 * followed (following one would bypass the SSRF guard's check of the target).
 * `Retry-After` on 429 and 503 becomes `retryAfterMs`; the engine bounds it by the deadline.
 */
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; `undefined` if absent or bad. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000
  // HTTP dates always name a weekday and GMT; anything else is not worth guessing at
  if (!/GMT$/.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export const statusError = (
  status: number,
  retryAfter: string | undefined,
  now: number,
  target: string
): DestinationError => {
  const message = `${target} answered HTTP ${status}`
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfter, now) : undefined
  const options = retryAfterMs === undefined ? {} : { retryAfterMs }
  if (status === 429) return destinationError("throttled", message, options)
  if (status >= 500 || status === 408 || status === 425) return destinationError("unavailable", message, options)
  if (status === 401 || status === 403) return destinationError("unauthorized", message)
  if (status >= 300 && status < 400)
    return destinationError("rejected", `${message} (a redirect; redirects are not followed)`)
  return destinationError("rejected", message)
}
