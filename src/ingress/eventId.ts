/**
 * Event ids for ingress events. A provider's delivery id wins, so a provider's retry of the
 * same delivery carries the same id and destinations dedupe it (`<event_id>:<module id>`);
 * otherwise a fresh ULID (time-ordered, 26 characters of Crockford base32).
 */
import { randomBytes } from "node:crypto"
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

/** Delivery-id headers of common providers, first match wins. */
export const DELIVERY_ID_HEADERS = [
  "x-github-delivery", // GitHub
  "webhook-id", // Standard Webhooks
  "svix-id", // Svix (Standard Webhooks' origin)
  "x-gitlab-event-uuid", // GitLab
  "x-shopify-webhook-id" // Shopify
] as const

/** The envelope's `id` rule (domain/WebhookEvent.ts): printable, no spaces, at most 200. */
const EVENT_ID = /^[\x21-\x7e]{1,200}$/

/**
 * The provider's id for this delivery, if it sent one we can use. Stripe puts it in the body
 * (`"id": "evt_…"`), so with Stripe signatures the payload's `id` counts too.
 */
export const providerEventId = (
  headers: RequestHeaders,
  payload: unknown,
  hmacStyle: string | undefined
): string | undefined => {
  for (const name of DELIVERY_ID_HEADERS) {
    const value = headerValue(headers, name)?.trim()
    if (value !== undefined && EVENT_ID.test(value)) return value
  }
  if (hmacStyle === "stripe" && typeof payload === "object" && payload !== null && !Array.isArray(payload)) {
    const id = (payload as Record<string, unknown>)["id"]
    if (typeof id === "string" && id.startsWith("evt_") && EVENT_ID.test(id)) return id
  }
  return undefined
}
