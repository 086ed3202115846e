/**
 * The stream's `auth.hmac`: one verifier for the configured provider style, computed over
 * the exact bytes received (never a re-serialised body). Secrets are decoded into keys once.
 */
import { Redacted } from "effect"
import type { IngressConfig } from "../../config/Ingress.ts"
import { headerValue, type RequestHeaders } from "../headers.ts"
import { GITHUB_SIGNATURE, GITHUB_SIGNATURE_HEADER, verifyGithub } from "./githubSignature.ts"
import {
  parseStandardSignatures,
  standardWebhooksKey,
  verifyStandardWebhooks,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER
} from "./standardWebhooksSignature.ts"
import { parseStripeSignature, STRIPE_SIGNATURE_HEADER, verifyStripe } from "./stripeSignature.ts"

export type HmacConfig = NonNullable<IngressConfig["auth"]["hmac"]>

export type HmacCheck = (headers: RequestHeaders, body: Buffer, nowMs: number) => boolean

export const makeHmacCheck = (config: HmacConfig): HmacCheck => {
  const secrets = config.secrets.map((s) => Redacted.value(s))
  switch (config.style) {
    case "github": {
      const keys = secrets.map((s) => Buffer.from(s, "utf8"))
      return (headers, body) => verifyGithub(keys, headers, body)
    }
    case "stripe": {
      const keys = secrets.map((s) => Buffer.from(s, "utf8"))
      return (headers, body, nowMs) => verifyStripe(keys, config.tolerance, nowMs, headers, body)
    }
    case "standard_webhooks": {
      const keys = secrets.map(standardWebhooksKey)
      return (headers, body, nowMs) => verifyStandardWebhooks(keys, config.tolerance, nowMs, headers, body)
    }
  }
}

export type HmacHeaderCheck = (headers: RequestHeaders, nowMs: number) => boolean

/**
 * What of the signature can be judged before the body is read: the signature header is there
 * and well-formed, and for the timestamped styles the timestamp lies within the tolerance. A
 * request failing it is answered 401 before it takes an in-flight slot, so requests that could
 * never pass cannot hold slots while they trickle their bodies in. Passing it proves nothing:
 * the signature itself is checked over the body (`makeHmacCheck`).
 */
export const makeHmacHeaderCheck = (config: HmacConfig): HmacHeaderCheck => {
  const fresh = (seconds: number, nowMs: number) => Math.abs(nowMs - seconds * 1000) <= config.tolerance
  switch (config.style) {
    case "github":
      return (headers) => GITHUB_SIGNATURE.test(headerValue(headers, GITHUB_SIGNATURE_HEADER)?.trim() ?? "")
    case "stripe":
      return (headers, nowMs) => {
        const parsed = parseStripeSignature(headerValue(headers, STRIPE_SIGNATURE_HEADER))
        return parsed !== undefined && fresh(parsed.timestamp, nowMs)
      }
    case "standard_webhooks":
      return (headers, nowMs) => {
        const id = headerValue(headers, WEBHOOK_ID_HEADER) ?? ""
        const stamp = headerValue(headers, WEBHOOK_TIMESTAMP_HEADER) ?? ""
        return (
          id !== "" &&
          /^\d{1,12}$/.test(stamp) &&
          fresh(Number(stamp), nowMs) &&
          parseStandardSignatures(headerValue(headers, WEBHOOK_SIGNATURE_HEADER)).length > 0
        )
      }
  }
}
