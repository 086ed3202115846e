/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`, where each v1 is
 * the hex HMAC-SHA256 of `<t>.<raw body>` keyed with the endpoint secret (`whsec_…`, used as
 * is, UTF-8). During a secret roll Stripe sends one v1 per active secret; any match passes.
 * The timestamp must lie within the tolerance of our clock, in either direction (Stripe's
 * own libraries check only the past; a far-future stamp is as suspect as an old one).
 */
import { createHmac } from "node:crypto"
import { headerValue, type RequestHeaders } from "../headers.ts"
import { macEquals } from "./constantTime.ts"

export const STRIPE_SIGNATURE_HEADER = "stripe-signature"
const MAX_SIGNATURES = 16

export interface StripeSignatureHeader {
  readonly timestamp: number
  readonly signatures: ReadonlyArray<Buffer>
}

export const parseStripeSignature = (value: string | undefined): StripeSignatureHeader | undefined => {
  if (value === undefined) return undefined
  let timestamp: number | undefined
  const signatures: Array<Buffer> = []
  for (const part of value.split(",")) {
    const eq = part.indexOf("=")
    const name = part.slice(0, eq).trim()
    const v = part.slice(eq + 1).trim()
    if (name === "t" && /^\d{1,12}$/.test(v)) timestamp = Number(v)
    else if (name === "v1" && /^[0-9a-fA-F]{64}$/.test(v) && signatures.length < MAX_SIGNATURES)
      signatures.push(Buffer.from(v, "hex"))
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures }
}

export const verifyStripe = (
  secrets: ReadonlyArray<Buffer>,
  toleranceMs: number,
  nowMs: number,
  headers: RequestHeaders,
  body: Buffer
): boolean => {
  const parsed = parseStripeSignature(headerValue(headers, STRIPE_SIGNATURE_HEADER))
  const timestamp = parsed?.timestamp ?? 0
  const fresh = parsed !== undefined && Math.abs(nowMs - timestamp * 1000) <= toleranceMs
  let matched = 0
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest()
    for (const presented of parsed?.signatures ?? []) matched |= macEquals(presented, expected) ? 1 : 0
  }
  return matched === 1 && fresh
}
