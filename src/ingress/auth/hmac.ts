/**
 * The stream's `auth.hmac`: one verifier for the configured provider style, computed over
 * the exact bytes received (never a re-serialised body). Secrets are decoded into keys once.
 */
import { Redacted } from "effect"
import type { IngressConfig } from "../../config/Ingress.ts"
import type { RequestHeaders } from "../headers.ts"
import { verifyGithub } from "./githubSignature.ts"
import { standardWebhooksKey, verifyStandardWebhooks } from "./standardWebhooksSignature.ts"
import { verifyStripe } from "./stripeSignature.ts"

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
