/**
 * Event ids for ingress events. A provider's signed delivery id wins, so a provider's retry of
 * the same delivery carries the same id and destinations dedupe it (idempotency key
 * `<webhook_id>:<event_id>:<module id>`); otherwise a fresh ULID (time-ordered, 26 characters
 * of Crockford base32).
 */
import { randomBytes } from "node:crypto"
import { GITHUB_DELIVERY_HEADER } from "./auth/githubSignature.ts"
import { WEBHOOK_ID_HEADER } from "./auth/standardWebhooksSignature.ts"
import { headerValue, type RequestHeaders } from "./headers.ts"

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/** A ULID: 48 bits of milliseconds, then 80 random bits. */
export const ulid = (nowMs: number = Date.now(), random: Buffer = randomBytes(10)): string => {
  let time = ""
  let t = Math.floor(nowMs)
  for (let i = 0; i < 10; i++) {
    time = (CROCKFORD[t % 32] as string) + time
    t = Math.floor(t / 32)
  }
  // 80 bits → 16 characters of 5 bits each
  let bits = 0
  let value = 0
  let rest = ""
  for (const byte of random.subarray(0, 10)) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      rest += CROCKFORD[(value >>> bits) & 31] as string
    }
    value &= (1 << bits) - 1
  }
  return time + rest
}

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/

/**
 * When a ULID was made (its first 48 bits), epoch ms; undefined for anything that is not a
 * ULID. Lowercase is accepted, as Crockford's alphabet is case-insensitive.
 */
export const ulidTime = (id: string): number | undefined => {
  const upper = id.toUpperCase()
  if (!ULID.test(upper)) return undefined
  let t = 0
  for (const c of upper.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(c)
  return t
}

/** The envelope's `id` rule (domain/WebhookEvent.ts): printable, no spaces, at most 200. */
const EVENT_ID = /^[\x21-\x7e]{1,200}$/

const usable = (value: string | undefined): string | undefined => {
  const id = value?.trim()
  return id !== undefined && EVENT_ID.test(id) ? id : undefined
}

/**
 * The provider's id for this delivery, taken only from what the stream's own signature
 * covers, so nobody can choose an event id by adding a header:
 *   standard_webhooks  the `webhook-id` header (signed with the body)
 *   stripe             the body's `"id": "evt_…"` (the body is signed)
 *   github             `X-GitHub-Delivery`: GitHub signs no header, so this one is the
 *                      sender's word; it is taken only on streams that verify GitHub's
 *                      signature, where it is what GitHub retries with
 * Anything else (bearer, basic, IP allowlist, no auth, or any other header) gets no provider
 * id: the caller generates a ULID. Called only after the signature has been verified.
 */
export const providerEventId = (
  headers: RequestHeaders,
  payload: unknown,
  hmacStyle: string | undefined
): string | undefined => {
  switch (hmacStyle) {
    case "standard_webhooks":
      return usable(headerValue(headers, WEBHOOK_ID_HEADER))
    case "github":
      return usable(headerValue(headers, GITHUB_DELIVERY_HEADER))
    case "stripe": {
      if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined
      const id = (payload as Record<string, unknown>)["id"]
      return typeof id === "string" && id.startsWith("evt_") ? usable(id) : undefined
    }
    default:
      return undefined
  }
}
