/**
 * Standard Webhooks (standardwebhooks.com, also what Svix sends): `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list of
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`. The secret is base64, usually
 * written with a `whsec_` prefix; the key is its decoded bytes. Several signatures appear
 * while the sender rotates secrets: any v1 matching any of our secrets passes. The
 * timestamp must lie within the tolerance in either direction (the spec's replay guard).
 */
import { createHmac } from "node:crypto"
import { headerValue, type RequestHeaders } from "../headers.ts"
import { macEquals } from "./constantTime.ts"

export const WEBHOOK_ID_HEADER = "webhook-id"
export const WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp"
export const WEBHOOK_SIGNATURE_HEADER = "webhook-signature"
const MAX_SIGNATURES = 16

/** The HMAC key of a Standard Webhooks secret: base64 after the optional `whsec_` prefix. */
export const standardWebhooksKey = (secret: string): Buffer =>
  Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64")

export const parseStandardSignatures = (value: string | undefined): ReadonlyArray<Buffer> =>
  (value ?? "")
    .split(" ")
    .filter((entry) => entry.startsWith("v1,"))
    .slice(0, MAX_SIGNATURES)
    .map((entry) => Buffer.from(entry.slice(3), "base64"))

export const verifyStandardWebhooks = (
  keys: ReadonlyArray<Buffer>,
  toleranceMs: number,
  nowMs: number,
  headers: RequestHeaders,
  body: Buffer
): boolean => {
  const id = headerValue(headers, WEBHOOK_ID_HEADER) ?? ""
  const stamp = headerValue(headers, WEBHOOK_TIMESTAMP_HEADER) ?? ""
  const wellFormed = id !== "" && !id.includes(".") && /^\d{1,12}$/.test(stamp)
  const fresh = wellFormed && Math.abs(nowMs - Number(stamp) * 1000) <= toleranceMs
  const signatures = parseStandardSignatures(headerValue(headers, WEBHOOK_SIGNATURE_HEADER))
  let matched = 0
  for (const key of keys) {
    const expected = createHmac("sha256", key).update(`${id}.${stamp}.`).update(body).digest()
    for (const presented of signatures) matched |= macEquals(presented, expected) ? 1 : 0
  }
  return matched === 1 && fresh
}
